/**
 * JWT bearer grant: the assertion must come from an issuer the application trusts, be signed by a
 * key in that issuer's JWKS, name one of its audiences, and be within exp/nbf. Every failure is
 * InvalidGrantException whose description says which check failed.
 */
import { decodeJwt, errors as joseErrors, jwtVerify } from "jose";
import { GRANT_TYPES, type ApplicationConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import { issueTokens, newSession, TOKEN_TYPE_URIS, type CreateTokenWithIAMOutput } from "./token-issuance.js";
import type { IamGrantRequest } from "./iam-grant-request.js";

const invalidGrant = (description: string) => oidcError("InvalidGrantException", description);

function describeVerificationFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "The assertion has expired (exp is in the past).";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "The assertion is not yet valid (nbf is in the future).";
    if (error.claim === "aud") return "The assertion's audience (aud) is not accepted for its issuer.";
    return `The assertion's ${error.claim} claim is invalid: ${error.reason}.`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "The assertion's signature does not verify against the issuer's JWKS.";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "No key in the issuer's JWKS matches the assertion's key id.";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "The assertion's signing algorithm is not allowed.";
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JOSEError) {
    return `The assertion could not be verified: ${error.message}.`;
  }
  return "The assertion could not be verified.";
}

export async function jwtBearerGrant(
  ctx: EmulatorContext,
  app: ApplicationConfig,
  request: IamGrantRequest,
): Promise<CreateTokenWithIAMOutput> {
  if (request.assertion === undefined || request.assertion === "") {
    throw invalidRequest(`assertion is required for grant type ${GRANT_TYPES.jwtBearer}.`);
  }
  let claims;
  try {
    claims = decodeJwt(request.assertion);
  } catch {
    throw invalidGrant("The assertion is not a well-formed JWT.");
  }
  if (typeof claims.iss !== "string") throw invalidGrant("The assertion has no iss claim.");
  const issuer = ctx.issuers.get(claims.iss);
  if (issuer === undefined || !ctx.issuers.isTrustedBy(app, claims.iss)) {
    throw invalidGrant(`The assertion's issuer (iss) ${JSON.stringify(claims.iss)} is not trusted by this application.`);
  }
  let verified;
  try {
    verified = await jwtVerify(request.assertion, issuer.keys, {
      issuer: issuer.issuer,
      audience: issuer.audiences,
      algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"],
      currentDate: new Date(ctx.now()),
    });
  } catch (error) {
    throw invalidGrant(describeVerificationFailure(error));
  }
  const sub = verified.payload.sub;
  if (typeof sub !== "string" || sub === "") throw invalidGrant("The assertion has no sub claim.");
  const session = newSession(sub, app.clientId, request.scopes ?? app.scopes, ctx.now());
  return issueTokens(ctx, session, app, {
    refreshToken: "new",
    withIdToken: true,
    issuedTokenType: TOKEN_TYPE_URIS.refreshToken,
  });
}

/**
 * Token exchange grant: trades a live access token the emulator issued (to any application) for
 * one of this application. issuedTokenType is the requested type: an access token (the default, no
 * refresh token, as in AWS's example), AWS's own `urn:amazon:webservices:token`, or — as the model
 * documents — a refresh token, in which case the response carries one.
 */
import { GRANT_TYPES, type ApplicationConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import type { IamGrantRequest } from "./iam-grant-request.js";
import { issueTokens, newSession, TOKEN_TYPE_URIS, type CreateTokenWithIAMOutput } from "./token-issuance.js";
import { assertTokenFromThisRegion } from "./token-region.js";

const REQUESTABLE_TYPES: readonly string[] = [TOKEN_TYPE_URIS.accessToken, TOKEN_TYPE_URIS.awsToken, TOKEN_TYPE_URIS.refreshToken];

export async function tokenExchangeGrant(
  ctx: EmulatorContext,
  app: ApplicationConfig,
  request: IamGrantRequest,
): Promise<CreateTokenWithIAMOutput> {
  const grant = GRANT_TYPES.tokenExchange;
  if (request.subjectToken === undefined || request.subjectToken === "") throw invalidRequest(`subjectToken is required for grant type ${grant}.`);
  if (request.subjectTokenType === undefined || request.subjectTokenType === "") {
    throw invalidRequest(`subjectTokenType is required for grant type ${grant}.`);
  }
  if (request.subjectTokenType !== TOKEN_TYPE_URIS.accessToken) {
    throw invalidRequest(`subjectTokenType must be ${TOKEN_TYPE_URIS.accessToken}.`);
  }
  const issuedTokenType = request.requestedTokenType ?? TOKEN_TYPE_URIS.accessToken;
  if (!REQUESTABLE_TYPES.includes(issuedTokenType)) {
    throw invalidRequest(`requestedTokenType must be one of ${REQUESTABLE_TYPES.join(", ")}.`);
  }
  assertTokenFromThisRegion(ctx, "access", request.subjectToken);
  const subject = ctx.tokens.accessTokens.get(request.subjectToken);
  if (subject === undefined) throw oidcError("InvalidGrantException", "The subject token is not an access token issued by this service.");
  if (subject.expiresAt <= ctx.now()) throw oidcError("ExpiredTokenException", "The subject token has expired.");
  const session = newSession(subject.session.sub, app.clientId, request.scopes ?? app.scopes, ctx.now());
  const refreshToken = issuedTokenType === TOKEN_TYPE_URIS.refreshToken ? "new" : "none";
  return issueTokens(ctx, session, app, { refreshToken, withIdToken: true, issuedTokenType });
}

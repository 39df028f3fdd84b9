/**
 * Authorization code grant: codes (from issueAuthorizationCode) are bound to a client and a
 * redirect URI, expire, are single use, and carry an optional PKCE challenge (S256 or plain).
 * A failed attempt does not burn the code; a successful one does.
 */
import { createHash } from "node:crypto";
import type { ApplicationConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import type { AuthorizationCodeRecord } from "../tokens/token-store.js";
import type { IamGrantRequest } from "./iam-grant-request.js";
import { issueTokens, newSession, TOKEN_TYPE_URIS, type CreateTokenWithIAMOutput } from "./token-issuance.js";

const invalidGrant = (description: string) => oidcError("InvalidGrantException", description);

export function pkceMatches(record: AuthorizationCodeRecord, verifier: string): boolean {
  const derived = record.codeChallengeMethod === "plain" ? verifier : createHash("sha256").update(verifier).digest("base64url");
  return derived === record.codeChallenge;
}

export interface CodeRedemption {
  code: string | undefined;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

/**
 * The checks CreateTokenWithIAM and CreateToken share: the code exists, is live, belongs to the
 * client, came with this redirect URI, and the verifier answers its PKCE challenge. Returns the
 * record without burning it: the caller deletes the code once every check of its own passed.
 */
export function checkAuthorizationCode(ctx: EmulatorContext, clientId: string, request: CodeRedemption): AuthorizationCodeRecord & { code: string } {
  if (request.code === undefined || request.code === "") throw invalidRequest("code is required for grant type authorization_code.");
  if (request.redirectUri === undefined || request.redirectUri === "") {
    throw invalidRequest("redirectUri is required for grant type authorization_code.");
  }
  const record = ctx.tokens.codes.get(request.code);
  if (record === undefined) throw invalidGrant("The authorization code is invalid or has already been used.");
  if (record.expiresAt <= ctx.now()) {
    ctx.tokens.codes.delete(request.code);
    throw invalidGrant("The authorization code has expired.");
  }
  if (record.clientId !== clientId) throw invalidGrant("The authorization code was issued to another application.");
  if (record.redirectUri !== request.redirectUri) throw invalidGrant("redirectUri does not match the one the code was issued for.");
  if (record.codeChallenge !== undefined) {
    if (request.codeVerifier === undefined || request.codeVerifier === "") {
      throw invalidGrant("codeVerifier is required: the authorization code was issued with a PKCE challenge.");
    }
    if (!pkceMatches(record, request.codeVerifier)) throw invalidGrant("codeVerifier does not match the code challenge (PKCE).");
  }
  return { ...record, code: request.code };
}

export async function authorizationCodeGrant(
  ctx: EmulatorContext,
  app: ApplicationConfig,
  request: IamGrantRequest,
): Promise<CreateTokenWithIAMOutput> {
  const record = checkAuthorizationCode(ctx, app.clientId, request);
  const scopes = request.scopes ?? record.scopes ?? app.scopes;
  if (record.scopes !== undefined && scopes.some((scope) => !record.scopes!.includes(scope))) {
    throw oidcError("InvalidScopeException", "The requested scope exceeds the scope the code was authorized for.");
  }
  ctx.tokens.codes.delete(record.code);
  const session = newSession(record.sub, app.clientId, scopes, ctx.now());
  return issueTokens(ctx, session, app, {
    refreshToken: "new",
    withIdToken: true,
    issuedTokenType: TOKEN_TYPE_URIS.refreshToken,
  });
}

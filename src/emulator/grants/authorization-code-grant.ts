/**
 * Authorization code grant: codes from POST /_emulator/authorize are bound to an application and a
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

export async function authorizationCodeGrant(
  ctx: EmulatorContext,
  app: ApplicationConfig,
  request: IamGrantRequest,
): Promise<CreateTokenWithIAMOutput> {
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
  if (record.clientId !== app.clientId) throw invalidGrant("The authorization code was issued to another application.");
  if (record.redirectUri !== request.redirectUri) throw invalidGrant("redirectUri does not match the one the code was issued for.");
  if (record.codeChallenge !== undefined) {
    if (request.codeVerifier === undefined || request.codeVerifier === "") {
      throw invalidGrant("codeVerifier is required: the authorization code was issued with a PKCE challenge.");
    }
    if (!pkceMatches(record, request.codeVerifier)) throw invalidGrant("codeVerifier does not match the code challenge (PKCE).");
  }
  const scopes = request.scopes ?? record.scopes ?? app.scopes;
  if (record.scopes !== undefined && scopes.some((scope) => !record.scopes!.includes(scope))) {
    throw oidcError("InvalidScopeException", "The requested scope exceeds the scope the code was authorized for.");
  }
  ctx.tokens.codes.delete(request.code);
  const session = newSession(record.sub, app.clientId, scopes, ctx.now());
  return issueTokens(ctx, session, app, {
    refreshToken: "new",
    withIdToken: true,
    issuedTokenType: TOKEN_TYPE_URIS.refreshToken,
  });
}

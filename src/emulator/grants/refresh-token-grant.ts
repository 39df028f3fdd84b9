/**
 * Refresh token grant: the token must be live and belong to the calling application. With
 * rotation on, a new refresh token replaces it and the old one stops working at once. The answer
 * carries an idToken and `awsAdditionalDetails.identityContext` (the sign-in's, unchanged): AWS's
 * trusted-identity-propagation plugin refreshes and then requires them, although AWS's documented
 * refresh example shows neither.
 */
import type { ApplicationConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import type { IamGrantRequest } from "./iam-grant-request.js";
import { issueTokens, TOKEN_TYPE_URIS, type CreateTokenWithIAMOutput } from "./token-issuance.js";
import { assertTokenFromThisRegion } from "./token-region.js";
import type { Session } from "../tokens/token-store.js";

const invalidGrant = (description: string) => oidcError("InvalidGrantException", description);

/**
 * Shared with CreateToken's refresh: find, check, and (maybe) rotate. A token of another region is
 * InvalidRequestRegionException where the operation's model lists it (CreateTokenWithIAM), else
 * (CreateToken) just an unknown token: InvalidGrantException.
 */
export function redeemRefreshToken(
  ctx: EmulatorContext,
  clientId: string,
  refreshToken: string,
  rotate: boolean,
  otherRegion: "region-exception" | "invalid-grant" = "region-exception",
): Session {
  if (otherRegion === "region-exception") assertTokenFromThisRegion(ctx, "refresh", refreshToken);
  const record = ctx.tokens.refreshTokens.get(refreshToken);
  if (record === undefined) throw invalidGrant("The refresh token is invalid, revoked, or has already been used.");
  if (record.expiresAt <= ctx.now()) {
    ctx.tokens.refreshTokens.delete(refreshToken);
    throw invalidGrant("The refresh token has expired.");
  }
  if (record.session.clientId !== clientId) throw invalidGrant("The refresh token was issued to another client.");
  if (rotate) ctx.tokens.refreshTokens.delete(refreshToken);
  return record.session;
}

export function narrowScopes(session: Session, requested: string[] | undefined): Session {
  if (requested === undefined) return session;
  if (requested.some((scope) => !session.scopes.includes(scope))) {
    throw oidcError("InvalidScopeException", "The requested scope exceeds the scope originally granted.");
  }
  return { ...session, scopes: requested };
}

export async function refreshTokenGrant(
  ctx: EmulatorContext,
  app: ApplicationConfig,
  request: IamGrantRequest,
): Promise<CreateTokenWithIAMOutput> {
  if (request.refreshToken === undefined || request.refreshToken === "") {
    throw invalidRequest("refreshToken is required for grant type refresh_token.");
  }
  const session = redeemRefreshToken(ctx, app.clientId, request.refreshToken, app.refreshTokenRotation);
  const narrowed = narrowScopes(session, request.scopes);
  return issueTokens(ctx, narrowed, app, {
    refreshToken: app.refreshTokenRotation ? "new" : { reuse: request.refreshToken },
    withIdToken: true,
    issuedTokenType: TOKEN_TYPE_URIS.refreshToken,
  });
}

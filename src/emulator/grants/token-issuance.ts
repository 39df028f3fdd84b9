/**
 * Mints the tokens of a successful grant and shapes the CreateTokenWithIAM response as AWS's
 * examples do. Which optional members appear depends on the grant (see docs/emulator.md).
 */
import type { ApplicationConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { signIdToken } from "../tokens/id-token.js";
import { mintOpaqueToken, randomToken } from "../tokens/opaque-token.js";
import type { Session } from "../tokens/token-store.js";

export const TOKEN_TYPE_URIS = {
  accessToken: "urn:ietf:params:oauth:token-type:access_token",
  refreshToken: "urn:ietf:params:oauth:token-type:refresh_token",
  idToken: "urn:ietf:params:oauth:token-type:id_token",
  awsToken: "urn:amazon:webservices:token",
} as const;

export interface CreateTokenWithIAMOutput {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken?: string;
  idToken?: string;
  issuedTokenType: string;
  scope: string[];
  awsAdditionalDetails?: { identityContext: string };
}

export function newSession(sub: string, clientId: string, scopes: string[], nowMs: number): Session {
  return {
    sub,
    clientId,
    scopes,
    authTime: Math.floor(nowMs / 1000),
    credentialId: randomToken(30),
    identityContext: randomToken(48),
  };
}

export function issueAccessToken(ctx: EmulatorContext, session: Session, app: ApplicationConfig): string {
  const token = mintOpaqueToken("access", ctx.region);
  ctx.tokens.rememberAccessToken(token, { session, expiresAt: ctx.now() + app.accessTokenLifetimeSeconds * 1000 });
  return token;
}

export function issueRefreshToken(ctx: EmulatorContext, session: Session, app: ApplicationConfig): string {
  const token = mintOpaqueToken("refresh", ctx.region);
  ctx.tokens.rememberRefreshToken(token, { session, expiresAt: ctx.now() + app.refreshTokenLifetimeSeconds * 1000 });
  return token;
}

export interface IssueOptions {
  /** An existing refresh token to hand back (rotation off), or "new" to mint one, or none. */
  refreshToken: "new" | "none" | { reuse: string };
  withIdToken: boolean;
  issuedTokenType: string;
}

export async function issueTokens(
  ctx: EmulatorContext,
  session: Session,
  app: ApplicationConfig,
  options: IssueOptions,
): Promise<CreateTokenWithIAMOutput> {
  const output: CreateTokenWithIAMOutput = {
    accessToken: issueAccessToken(ctx, session, app),
    tokenType: "Bearer",
    expiresIn: app.accessTokenLifetimeSeconds,
    issuedTokenType: options.issuedTokenType,
    scope: [...session.scopes],
  };
  if (options.refreshToken === "new") output.refreshToken = issueRefreshToken(ctx, session, app);
  else if (options.refreshToken !== "none") output.refreshToken = options.refreshToken.reuse;
  if (options.withIdToken) {
    // An ID token answers the `openid` scope (OpenID Connect Core, 3.1.2.1; one of Identity Center's default scopes):
    // a sign-in granted only other scopes (`aws`, `sts:identity_context`) gets the identity context without one.
    if (session.scopes.includes("openid")) {
      const nowSeconds = Math.floor(ctx.now() / 1000);
      output.idToken = await signIdToken(session, ctx.config, ctx.keys.idToken, app.accessTokenLifetimeSeconds, nowSeconds);
    }
    output.awsAdditionalDetails = { identityContext: session.identityContext };
  }
  return output;
}

/**
 * Short recipes that take a test emulator through each CreateTokenWithIAM grant with the real
 * SDK, so tests can get a fresh access/refresh token in one line.
 */
import { createHash, randomBytes } from "node:crypto";
import type { CreateTokenWithIAMCommandOutput } from "@aws-sdk/client-sso-oidc";
import type { TestEmulator } from "./emulator-harness.js";
import { DEFAULT_REDIRECT_URIS, GRANT, TOKEN_TYPE } from "./emulator-model.js";

export interface Pkce {
  verifier: string;
  challenge: string;
  method: "S256" | "plain";
}

/** A PKCE verifier (43 chars, RFC 7636) and its challenge for `method`. */
export function pkce(method: "S256" | "plain"): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = method === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
  return { verifier, challenge, method };
}

export interface GrantOptions {
  sub?: string;
  clientId?: string;
  scope?: string[];
}

/** JWT bearer grant with an assertion from the built-in issuer. */
export async function viaJwtBearer(h: TestEmulator, options: GrantOptions = {}): Promise<CreateTokenWithIAMCommandOutput> {
  const { assertion } = await h.dev.assertion({ sub: options.sub ?? "alice" });
  return h.createTokenWithIAM({
    clientId: options.clientId ?? h.defaultClientId,
    grantType: GRANT.jwtBearer,
    assertion,
    ...(options.scope ? { scope: options.scope } : {}),
  });
}

/** Authorization code grant (no PKCE) through `POST /_emulator/authorize`. */
export async function viaAuthorizationCode(h: TestEmulator, options: GrantOptions = {}): Promise<CreateTokenWithIAMCommandOutput> {
  const clientId = options.clientId ?? h.defaultClientId;
  const redirectUri = DEFAULT_REDIRECT_URIS[0];
  const { code } = await h.dev.authorize({ clientId, redirectUri, sub: options.sub ?? "alice" });
  return h.createTokenWithIAM({ clientId, grantType: GRANT.authorizationCode, code, redirectUri });
}

/** Refresh token grant. */
export function viaRefreshToken(h: TestEmulator, refreshToken: string, clientId = h.defaultClientId): Promise<CreateTokenWithIAMCommandOutput> {
  return h.createTokenWithIAM({ clientId, grantType: GRANT.refreshToken, refreshToken });
}

/** Token exchange grant of an access token the emulator issued. */
export function viaTokenExchange(
  h: TestEmulator,
  subjectToken: string,
  requestedTokenType?: string,
  clientId = h.defaultClientId,
): Promise<CreateTokenWithIAMCommandOutput> {
  return h.createTokenWithIAM({
    clientId,
    grantType: GRANT.tokenExchange,
    subjectToken,
    subjectTokenType: TOKEN_TYPE.accessToken,
    ...(requestedTokenType ? { requestedTokenType } : {}),
  });
}

/** A live access token and refresh token (JWT bearer). */
export async function freshTokens(h: TestEmulator, options: GrantOptions = {}): Promise<{ accessToken: string; refreshToken: string }> {
  const out = await viaJwtBearer(h, options);
  if (!out.accessToken || !out.refreshToken) throw new Error(`JWT bearer grant returned no tokens: ${JSON.stringify(out)}`);
  return { accessToken: out.accessToken, refreshToken: out.refreshToken };
}

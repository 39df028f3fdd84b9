/**
 * The unsigned operations of public clients: StartDeviceAuthorization and CreateToken (device code
 * polling, authorization code with PKCE, refresh). Device polling answers AuthorizationPending until
 * the user approves (the `/device` page or the developer API), SlowDown when polled faster than the
 * interval, AccessDenied when denied, ExpiredToken after expiry. RegisterClient lives in
 * register-client.ts. CreateToken raises only the exceptions its model lists.
 */
import { randomBytes } from "node:crypto";
import type { ApplicationConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { optionalString, optionalStringList, type JsonObject } from "../http/json-input.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import { checkAuthorizationCode } from "../grants/authorization-code-grant.js";
import { redeemRefreshToken } from "../grants/refresh-token-grant.js";
import { issueAccessToken, issueRefreshToken, newSession } from "../grants/token-issuance.js";
import { randomToken } from "../tokens/opaque-token.js";
import type { Session } from "../tokens/token-store.js";
import { PUBLIC_GRANT_TYPES, type DeviceAuthorization, type PublicGrantType, type RegisteredClient } from "./device-store.js";
import { requiredMember } from "./register-client.js";

export { registerClient } from "./register-client.js";

export const DEVICE_CODE_GRANT = PUBLIC_GRANT_TYPES.deviceCode;
const DEVICE_CODE_LIFETIME_SECONDS = 600;
const POLL_INTERVAL_SECONDS = 1;
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
const SUPPORTED_GRANT_TYPES: readonly string[] = Object.values(PUBLIC_GRANT_TYPES);

function authenticateClient(ctx: EmulatorContext, input: JsonObject): RegisteredClient {
  const clientId = requiredMember(input, "clientId");
  const clientSecret = requiredMember(input, "clientSecret");
  const client = ctx.devices.clients.get(clientId);
  if (client === undefined || client.clientSecret !== clientSecret) throw oidcError("InvalidClientException", "Invalid client id or secret.");
  if (client.secretExpiresAt * 1000 <= ctx.now()) throw oidcError("InvalidClientException", "The client secret has expired.");
  return client;
}

function newUserCode(): string {
  const bytes = randomBytes(8);
  const letters = [...bytes].map((b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]);
  return `${letters.slice(0, 4).join("")}-${letters.slice(4).join("")}`;
}

/** The access portal URL: AWS's are https (`https://d-…awsapps.com/start`); anything else is refused. */
function checkStartUrl(startUrl: string): void {
  const valid = URL.canParse(startUrl) && new URL(startUrl).protocol === "https:" && new URL(startUrl).hostname !== "";
  if (!valid) throw invalidRequest(`startUrl ${JSON.stringify(startUrl.slice(0, 100))} is not an https URL.`);
}

export function startDeviceAuthorization(ctx: EmulatorContext, input: JsonObject) {
  const startUrl = requiredMember(input, "startUrl");
  const client = authenticateClient(ctx, input);
  checkStartUrl(startUrl);
  if (!client.grantTypes.includes(PUBLIC_GRANT_TYPES.deviceCode)) {
    throw oidcError("UnauthorizedClientException", "The client was not registered for the device_code grant.");
  }
  const authorization: DeviceAuthorization = {
    deviceCode: randomToken(48),
    userCode: newUserCode(),
    clientId: client.clientId,
    expiresAt: ctx.now() + DEVICE_CODE_LIFETIME_SECONDS * 1000,
    intervalSeconds: POLL_INTERVAL_SECONDS,
    lastPolledAt: undefined,
    status: { kind: "pending" },
  };
  ctx.devices.add(authorization);
  // The emulator's own page, so a person following the CLI's printed instructions signs in here.
  const verificationUri = `${ctx.baseUrl}/device`;
  return {
    deviceCode: authorization.deviceCode,
    userCode: authorization.userCode,
    verificationUri,
    verificationUriComplete: `${verificationUri}?user_code=${authorization.userCode}`,
    expiresIn: DEVICE_CODE_LIFETIME_SECONDS,
    interval: POLL_INTERVAL_SECONDS,
  };
}

/** Registered clients get the default lifetimes and always rotate refresh tokens. */
function clientAsApplication(client: RegisteredClient): ApplicationConfig {
  return {
    clientId: client.clientId,
    grants: [],
    redirectUris: [],
    scopes: client.scopes,
    accessTokenLifetimeSeconds: 3600,
    refreshTokenLifetimeSeconds: 7_776_000,
    refreshTokenRotation: true,
    trustedIssuers: [],
    rateLimitPerSecond: null,
  };
}

function pollDeviceCode(ctx: EmulatorContext, client: RegisteredClient, deviceCode: string): string {
  const authorization = ctx.devices.byDeviceCode.get(deviceCode);
  if (authorization === undefined || authorization.clientId !== client.clientId) {
    throw oidcError("InvalidGrantException", "Invalid device code provided.");
  }
  const now = ctx.now();
  if (authorization.expiresAt <= now) throw oidcError("ExpiredTokenException", "The device code has expired.");
  const previousPoll = authorization.lastPolledAt;
  authorization.lastPolledAt = now;
  if (previousPoll !== undefined && now - previousPoll < authorization.intervalSeconds * 1000) {
    throw oidcError("SlowDownException", `Polled faster than the ${authorization.intervalSeconds}s interval.`);
  }
  switch (authorization.status.kind) {
    case "pending":
      throw oidcError("AuthorizationPendingException", "The user has not yet approved the device authorization.");
    case "denied":
      ctx.devices.remove(authorization);
      throw oidcError("AccessDeniedException", "The user denied the device authorization.");
    case "approved":
      ctx.devices.remove(authorization);
      return authorization.status.sub;
  }
}

/** Authorization code with PKCE: the code's scopes, else every scope the client registered. */
function redeemCode(ctx: EmulatorContext, client: RegisteredClient, input: JsonObject): Session {
  const record = checkAuthorizationCode(ctx, client.clientId, {
    code: optionalString(input, "code"),
    redirectUri: optionalString(input, "redirectUri"),
    codeVerifier: optionalString(input, "codeVerifier"),
  });
  ctx.tokens.codes.delete(record.code);
  return newSession(record.sub, client.clientId, record.scopes ?? client.scopes, ctx.now());
}

/**
 * CreateToken's `scope` "has no effect; the access token will always include all scopes configured
 * during client registration" (the model): it is type-checked and otherwise ignored by every grant.
 */
function grantSession(ctx: EmulatorContext, client: RegisteredClient, grantType: PublicGrantType, input: JsonObject): Session {
  optionalStringList(input, "scope");
  switch (grantType) {
    case PUBLIC_GRANT_TYPES.deviceCode: {
      const sub = pollDeviceCode(ctx, client, requiredMember(input, "deviceCode"));
      return newSession(sub, client.clientId, client.scopes, ctx.now());
    }
    case PUBLIC_GRANT_TYPES.authorizationCode:
      return redeemCode(ctx, client, input);
    case PUBLIC_GRANT_TYPES.refreshToken:
      // CreateToken's model has no InvalidRequestRegionException: a token of another region is just not ours.
      return redeemRefreshToken(ctx, client.clientId, requiredMember(input, "refreshToken"), true, "invalid-grant");
  }
}

export function createToken(ctx: EmulatorContext, input: JsonObject) {
  const grantType = requiredMember(input, "grantType");
  const client = authenticateClient(ctx, input);
  if (!SUPPORTED_GRANT_TYPES.includes(grantType)) {
    throw oidcError("UnsupportedGrantTypeException", `Grant type ${JSON.stringify(grantType.slice(0, 100))} is not supported by CreateToken.`);
  }
  if (!client.grantTypes.includes(grantType as PublicGrantType)) {
    throw oidcError("UnauthorizedClientException", `The client was not registered for grant type ${grantType}.`);
  }
  const session = grantSession(ctx, client, grantType as PublicGrantType, input);
  const app = clientAsApplication(client);
  return {
    accessToken: issueAccessToken(ctx, session, app),
    tokenType: "Bearer",
    expiresIn: app.accessTokenLifetimeSeconds,
    ...(client.grantTypes.includes(PUBLIC_GRANT_TYPES.refreshToken) ? { refreshToken: issueRefreshToken(ctx, session, app) } : {}),
  };
}

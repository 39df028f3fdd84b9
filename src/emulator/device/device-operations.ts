/**
 * The unsigned device-code flow: RegisterClient → StartDeviceAuthorization → CreateToken polling
 * (AuthorizationPending until approved through the developer API, SlowDown when polled faster than
 * the interval, AccessDenied when denied, ExpiredToken after expiry). CreateToken also refreshes.
 */
import { randomBytes } from "node:crypto";
import type { ApplicationConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { optionalString, optionalStringList, type JsonObject } from "../http/json-input.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import { narrowScopes, redeemRefreshToken } from "../grants/refresh-token-grant.js";
import { issueAccessToken, issueRefreshToken, newSession } from "../grants/token-issuance.js";
import { randomToken } from "../tokens/opaque-token.js";
import type { Session } from "../tokens/token-store.js";
import type { DeviceAuthorization, RegisteredClient } from "./device-store.js";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const DEVICE_CODE_LIFETIME_SECONDS = 600;
const POLL_INTERVAL_SECONDS = 1;
const CLIENT_SECRET_LIFETIME_SECONDS = 90 * 24 * 3600;
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

function required(input: JsonObject, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === "") throw invalidRequest(`${name} is required.`);
  return value;
}

export function registerClient(ctx: EmulatorContext, input: JsonObject) {
  const clientName = required(input, "clientName");
  const clientType = required(input, "clientType");
  const scopes = optionalStringList(input, "scopes") ?? [];
  if (clientType !== "public") throw oidcError("InvalidClientMetadataException", `clientType must be "public", got ${JSON.stringify(clientType.slice(0, 50))}.`);
  const badRedirect = optionalStringList(input, "redirectUris")?.find((uri) => !URL.canParse(uri));
  if (badRedirect !== undefined) throw oidcError("InvalidRedirectUriException", `redirectUris: ${JSON.stringify(badRedirect.slice(0, 100))} is not an absolute URI.`);
  const issuedAt = Math.floor(ctx.now() / 1000);
  const client: RegisteredClient = {
    clientId: randomToken(16),
    clientSecret: randomToken(48),
    clientName,
    scopes,
    issuedAt,
    secretExpiresAt: issuedAt + CLIENT_SECRET_LIFETIME_SECONDS,
  };
  ctx.devices.clients.set(client.clientId, client);
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    clientIdIssuedAt: client.issuedAt,
    clientSecretExpiresAt: client.secretExpiresAt,
  };
}

function authenticateClient(ctx: EmulatorContext, input: JsonObject): RegisteredClient {
  const clientId = required(input, "clientId");
  const clientSecret = required(input, "clientSecret");
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

export function startDeviceAuthorization(ctx: EmulatorContext, input: JsonObject) {
  const startUrl = required(input, "startUrl");
  const client = authenticateClient(ctx, input);
  void startUrl;
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
  const verificationUri = `https://device.sso.${ctx.region}.amazonaws.com/`;
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

export function createToken(ctx: EmulatorContext, input: JsonObject) {
  const grantType = required(input, "grantType");
  const client = authenticateClient(ctx, input);
  const app = clientAsApplication(client);
  const requestedScopes = optionalStringList(input, "scope");
  let session: Session;
  if (grantType === DEVICE_CODE_GRANT) {
    const deviceCode = required(input, "deviceCode");
    const sub = pollDeviceCode(ctx, client, deviceCode);
    session = newSession(sub, client.clientId, requestedScopes?.length ? requestedScopes : client.scopes, ctx.now());
  } else if (grantType === "refresh_token") {
    const refreshToken = required(input, "refreshToken");
    session = narrowScopes(redeemRefreshToken(ctx, client.clientId, refreshToken, true), requestedScopes?.length ? requestedScopes : undefined);
  } else {
    throw oidcError("UnsupportedGrantTypeException", `Grant type ${JSON.stringify(grantType.slice(0, 100))} is not supported by CreateToken.`);
  }
  return {
    accessToken: issueAccessToken(ctx, session, app),
    tokenType: "Bearer",
    expiresIn: app.accessTokenLifetimeSeconds,
    refreshToken: issueRefreshToken(ctx, session, app),
  };
}

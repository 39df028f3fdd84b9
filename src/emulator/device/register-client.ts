/**
 * RegisterClient: validates the public client's metadata the way the service model lists its
 * exceptions (see docs/emulator.md, "RegisterClient", for each rule and where AWS is silent), stores
 * the client, and hands out the authorization and token endpoints to authorization-code clients.
 */
import type { EmulatorContext } from "../emulator-context.js";
import { optionalString, optionalStringList, type JsonObject } from "../http/json-input.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import { redirectUriProblem } from "../grants/redirect-uris.js";
import { randomToken } from "../tokens/opaque-token.js";
import { PUBLIC_GRANT_TYPES, type PublicGrantType, type RegisteredClient } from "./device-store.js";

const CLIENT_SECRET_LIFETIME_SECONDS = 90 * 24 * 3600;
/** What a client that names no grant types gets: the device flow as before grantTypes existed. */
const DEFAULT_GRANT_TYPES: PublicGrantType[] = [PUBLIC_GRANT_TYPES.deviceCode, PUBLIC_GRANT_TYPES.refreshToken];
const SUPPORTED_GRANT_TYPES: readonly string[] = Object.values(PUBLIC_GRANT_TYPES);
const APPLICATION_ARN = /^arn:aws[a-z-]*:sso::\d{12}:application\/ssoins-[a-zA-Z0-9]+\/apl-[a-zA-Z0-9]+$/;

const quoted = (value: string, max = 100): string => JSON.stringify(value.slice(0, max));

export function requiredMember(input: JsonObject, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === "") throw invalidRequest(`${name} is required.`);
  return value;
}

function readGrantTypes(input: JsonObject): PublicGrantType[] {
  const given = optionalStringList(input, "grantTypes");
  if (given === undefined || given.length === 0) return [...DEFAULT_GRANT_TYPES];
  const unsupported = given.find((grant) => !SUPPORTED_GRANT_TYPES.includes(grant));
  if (unsupported !== undefined) {
    throw oidcError("UnsupportedGrantTypeException", `Grant type ${quoted(unsupported)} is not supported; use ${SUPPORTED_GRANT_TYPES.join(", ")}.`);
  }
  return [...new Set(given as PublicGrantType[])];
}

function readScopes(input: JsonObject): string[] {
  const scopes = optionalStringList(input, "scopes") ?? [];
  const bad = scopes.find((scope) => scope.trim() === "" || /\s/.test(scope));
  if (bad !== undefined) throw oidcError("InvalidScopeException", `Invalid scope ${quoted(bad)}: a scope must be non-empty and contain no whitespace.`);
  return [...new Set(scopes)];
}

function readRedirectUris(input: JsonObject, grantTypes: PublicGrantType[]): string[] {
  const uris = optionalStringList(input, "redirectUris") ?? [];
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw oidcError("InvalidRedirectUriException", `Redirect URI ${quoted(uri)} ${problem}.`);
  }
  const wantsCode = grantTypes.includes(PUBLIC_GRANT_TYPES.authorizationCode);
  if (wantsCode && uris.length === 0) {
    throw oidcError("InvalidClientMetadataException", "redirectUris is required for the authorization_code grant.");
  }
  if (!wantsCode && uris.length > 0) {
    throw oidcError("InvalidClientMetadataException", "redirectUris is only allowed together with the authorization_code grant.");
  }
  return [...new Set(uris)];
}

function readIssuerUrl(input: JsonObject): string | undefined {
  const issuerUrl = optionalString(input, "issuerUrl");
  if (issuerUrl === undefined) return undefined;
  const valid = URL.canParse(issuerUrl) && new URL(issuerUrl).protocol === "https:" && !issuerUrl.includes("#");
  if (!valid) throw oidcError("InvalidClientMetadataException", `issuerUrl ${quoted(issuerUrl)} is not an https URL.`);
  return issuerUrl;
}

/** The application the client is entitled to must exist; it then bounds the client's scopes and grants. */
function checkEntitledApplication(ctx: EmulatorContext, arn: string, scopes: string[], grantTypes: PublicGrantType[]): void {
  if (!APPLICATION_ARN.test(arn)) {
    throw invalidRequest(`entitledApplicationArn ${quoted(arn, 200)} is not an application ARN (arn:aws:sso::<account>:application/ssoins-<id>/apl-<id>).`);
  }
  const app = ctx.applications.get(arn);
  if (app === undefined) throw oidcError("InvalidClientMetadataException", `entitledApplicationArn ${quoted(arn, 200)} is not an application of this instance.`);
  const outside = scopes.filter((scope) => !app.scopes.includes(scope));
  if (outside.length > 0) throw oidcError("InvalidScopeException", `The entitled application does not have the scope(s): ${outside.slice(0, 5).join(", ")}.`);
  const grants: readonly string[] = app.grants;
  const refused = grantTypes.filter((grant) => grant !== PUBLIC_GRANT_TYPES.deviceCode && !grants.includes(grant));
  if (refused.length > 0) throw oidcError("InvalidClientMetadataException", `The entitled application does not allow the grant type(s): ${refused.join(", ")}.`);
}

export function registerClient(ctx: EmulatorContext, input: JsonObject) {
  const clientName = requiredMember(input, "clientName");
  const clientType = requiredMember(input, "clientType");
  if (clientType !== "public") throw oidcError("InvalidClientMetadataException", `clientType must be "public", got ${quoted(clientType, 50)}.`);
  const grantTypes = readGrantTypes(input);
  const scopes = readScopes(input);
  const redirectUris = readRedirectUris(input, grantTypes);
  const issuerUrl = readIssuerUrl(input);
  const entitledApplicationArn = optionalString(input, "entitledApplicationArn");
  if (entitledApplicationArn !== undefined) checkEntitledApplication(ctx, entitledApplicationArn, scopes, grantTypes);
  const wantsCode = grantTypes.includes(PUBLIC_GRANT_TYPES.authorizationCode);
  if (wantsCode && issuerUrl === undefined && entitledApplicationArn === undefined) {
    // Without either, nothing says which Identity Center instance the user signs in to.
    throw oidcError("InvalidClientMetadataException", "issuerUrl or entitledApplicationArn is required for the authorization_code grant.");
  }
  const issuedAt = Math.floor(ctx.now() / 1000);
  const client: RegisteredClient = {
    clientId: randomToken(16),
    clientSecret: randomToken(48),
    clientName,
    scopes,
    grantTypes,
    redirectUris,
    issuerUrl,
    entitledApplicationArn,
    issuedAt,
    secretExpiresAt: issuedAt + CLIENT_SECRET_LIFETIME_SECONDS,
  };
  ctx.devices.clients.set(client.clientId, client);
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    clientIdIssuedAt: client.issuedAt,
    clientSecretExpiresAt: client.secretExpiresAt,
    ...(wantsCode ? { authorizationEndpoint: `${ctx.baseUrl}/authorize`, tokenEndpoint: `${ctx.baseUrl}/token` } : {}),
  };
}

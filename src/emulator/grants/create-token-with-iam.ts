/**
 * CreateTokenWithIAM: the checks every grant shares, in the documented order, then the grant's own
 * handler. SigV4 has already been verified by the time this runs.
 */
import { GRANT_TYPES, IAM_GRANT_TYPES, type ApplicationConfig, type IamGrantType } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import type { JsonObject } from "../http/json-input.js";
import { invalidRequest, oidcError } from "../http/wire-errors.js";
import { authorizationCodeGrant } from "./authorization-code-grant.js";
import { readIamGrantRequest, type IamGrantRequest } from "./iam-grant-request.js";
import { jwtBearerGrant } from "./jwt-bearer-grant.js";
import { refreshTokenGrant } from "./refresh-token-grant.js";
import type { CreateTokenWithIAMOutput } from "./token-issuance.js";
import { tokenExchangeGrant } from "./token-exchange-grant.js";

type GrantHandler = (ctx: EmulatorContext, app: ApplicationConfig, request: IamGrantRequest) => Promise<CreateTokenWithIAMOutput>;

const GRANT_HANDLERS: Record<IamGrantType, GrantHandler> = {
  [GRANT_TYPES.authorizationCode]: authorizationCodeGrant,
  [GRANT_TYPES.refreshToken]: refreshTokenGrant,
  [GRANT_TYPES.jwtBearer]: jwtBearerGrant,
  [GRANT_TYPES.tokenExchange]: tokenExchangeGrant,
};

function isIamGrantType(value: string): value is IamGrantType {
  return (IAM_GRANT_TYPES as readonly string[]).includes(value);
}

export async function createTokenWithIAM(ctx: EmulatorContext, input: JsonObject): Promise<CreateTokenWithIAMOutput> {
  const request = readIamGrantRequest(input);
  if (request.clientId === undefined || request.clientId === "") throw invalidRequest("clientId is required.");
  if (request.grantType === undefined || request.grantType === "") throw invalidRequest("grantType is required.");
  const app = ctx.applications.get(request.clientId);
  if (app === undefined) throw oidcError("InvalidClientException", "The client is not a registered application.");
  if (!isIamGrantType(request.grantType)) {
    throw oidcError("UnsupportedGrantTypeException", `Grant type ${JSON.stringify(request.grantType.slice(0, 100))} is not supported.`);
  }
  if (!app.grants.includes(request.grantType)) {
    throw oidcError("UnauthorizedClientException", `The application is not authorized for grant type ${request.grantType}.`);
  }
  const outside = request.scopes?.filter((scope) => !app.scopes.includes(scope)) ?? [];
  if (outside.length > 0) {
    throw oidcError("InvalidScopeException", `The application does not have the requested scope: ${outside.slice(0, 5).join(", ")}.`);
  }
  if (app.rateLimitPerSecond !== null && !ctx.rateLimiter.tryAcquire(app.clientId, app.rateLimitPerSecond, ctx.now())) {
    throw oidcError("SlowDownException", `Rate exceeded: more than ${app.rateLimitPerSecond} requests per second for this application.`);
  }
  return GRANT_HANDLERS[request.grantType](ctx, app, request);
}

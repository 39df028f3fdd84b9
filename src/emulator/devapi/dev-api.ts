/**
 * The developer API under /_emulator/: mint assertions and authorization codes (for configured
 * applications and registered public clients alike), approve or deny device codes, read stats, inject faults, reset state. Unsigned JSON over HTTP, for tests and
 * local development only.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { z } from "zod";
import { BUILT_IN_AUDIENCE, BUILT_IN_ISSUER } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import type { JsonObject } from "../http/json-input.js";
import { WireError } from "../http/wire-errors.js";
import { jwksOf } from "../tokens/signing-keys.js";
import { approveDeviceAuthorization, denyDeviceAuthorization } from "../device/device-approval.js";
import { issueAuthorizationCode } from "../grants/authorization-code-issuer.js";
import { OAuthFlowError } from "../grants/oauth-flow-error.js";
import { approveInput, assertionInput, authorizeInput, denyInput, describeFirstIssue } from "./dev-api-inputs.js";
import { faultSchema, serviceHasException } from "./faults.js";

export interface DevApiAnswer {
  status: number;
  body: unknown;
}

export function devApiError(description: string, status = 400): WireError {
  return new WireError(status, "InvalidRequestException", { error: "invalid_request", error_description: description });
}

function parse<T extends z.ZodType>(schema: T, body: JsonObject): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw devApiError(describeFirstIssue(result.error));
  return result.data;
}

const iso = (ms: number): string => new Date(ms).toISOString();

async function mintAssertion(ctx: EmulatorContext, body: JsonObject): Promise<DevApiAnswer> {
  const input = parse(assertionInput, body);
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const issuer = input.iss ?? BUILT_IN_ISSUER;
  const audience = input.aud ?? BUILT_IN_AUDIENCE;
  const expiresAt = nowSeconds + (input.expiresInSeconds ?? 300);
  const jwt = new SignJWT({ ...input.claims })
    .setProtectedHeader({ alg: "RS256", kid: ctx.keys.issuer.kid, typ: "JWT" })
    .setSubject(input.sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(expiresAt);
  // A unique jti, as IdPs issue, unless the caller chose one: two assertions minted in one second are distinct grants.
  if (input.claims?.jti === undefined) jwt.setJti(randomUUID());
  if (input.notBeforeSeconds !== undefined) jwt.setNotBefore(nowSeconds + input.notBeforeSeconds);
  const assertion = await jwt.sign(ctx.keys.issuer.privateKey);
  return { status: 200, body: { assertion, issuer, audience, expiresAt: iso(expiresAt * 1000) } };
}

/** Browser-step refusals keep the developer API's `<field>: <problem>` 400 answers. */
function flowStep<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof OAuthFlowError) throw devApiError(error.description);
    throw error;
  }
}

function authorize(ctx: EmulatorContext, body: JsonObject): DevApiAnswer {
  const input = parse(authorizeInput, body);
  const { code, expiresAt } = flowStep(() =>
    issueAuthorizationCode(ctx, {
      clientId: input.clientId,
      redirectUri: input.redirectUri,
      sub: input.sub,
      codeChallenge: input.codeChallenge,
      codeChallengeMethod: input.codeChallengeMethod,
      scopes: input.scope,
    }),
  );
  return { status: 200, body: { code, expiresAt: iso(expiresAt) } };
}

function approveDevice(ctx: EmulatorContext, body: JsonObject): DevApiAnswer {
  const input = parse(approveInput, body);
  flowStep(() => approveDeviceAuthorization(ctx, input.userCode, input.sub));
  return { status: 200, body: { approved: true } };
}

function denyDevice(ctx: EmulatorContext, body: JsonObject): DevApiAnswer {
  const input = parse(denyInput, body);
  flowStep(() => denyDeviceAuthorization(ctx, input.userCode));
  return { status: 200, body: { denied: true } };
}

function addFault(ctx: EmulatorContext, body: JsonObject): DevApiAnswer {
  const input = parse(faultSchema, body);
  if (input.latencyMs === undefined && input.exception === undefined && input.dropConnection !== true) {
    throw devApiError("body: give at least one of latencyMs, exception or dropConnection");
  }
  if (input.reason !== undefined && input.exception === undefined) throw devApiError("reason: only meaningful with exception");
  if (input.operation !== undefined && input.exception !== undefined && !serviceHasException(input.operation, input.exception)) {
    throw devApiError(`exception: ${input.operation} has no error named ${input.exception}`);
  }
  const { remaining: _remaining, ...fault } = ctx.faults.add(input);
  return { status: 201, body: fault };
}

const STS_SESSIONS_PREFIX = "/_emulator/sts/sessions/";

/** Who a role session is (for tests): its role, and the Identity Center user it carries, if any. */
function stsSession(ctx: EmulatorContext, accessKeyId: string): DevApiAnswer {
  const session = ctx.sts.get(accessKeyId);
  if (session === undefined) throw devApiError("accessKeyId: no role session has this access key id", 404);
  return {
    status: 200,
    body: {
      accessKeyId: session.accessKeyId,
      roleArn: session.roleArn,
      roleSessionName: session.roleSessionName,
      assumedRoleArn: session.assumedRoleArn,
      expiration: iso(session.expiresAt),
      expired: session.expiresAt <= ctx.now(),
      identityCenter: session.identity === undefined ? null : { sub: session.identity.sub, applicationArn: session.identity.applicationArn },
    },
  };
}

function reset(ctx: EmulatorContext): DevApiAnswer {
  ctx.tokens.clear();
  ctx.sts.clear();
  ctx.devices.clear();
  ctx.stats.clear();
  ctx.faults.clear();
  ctx.rateLimiter.clear();
  return { status: 200, body: { reset: true } };
}

/** Routes a developer-API request; undefined when no route matches. */
export async function handleDevApi(
  ctx: EmulatorContext,
  method: string,
  path: string,
  readJson: () => Promise<JsonObject>,
): Promise<DevApiAnswer | undefined> {
  if (method === "GET" && path.startsWith(STS_SESSIONS_PREFIX)) return stsSession(ctx, decodeURIComponent(path.slice(STS_SESSIONS_PREFIX.length)));
  switch (`${method} ${path}`) {
    case "POST /_emulator/assertions":
      return mintAssertion(ctx, await readJson());
    case "POST /_emulator/authorize":
      return authorize(ctx, await readJson());
    case "POST /_emulator/device/approve":
      return approveDevice(ctx, await readJson());
    case "POST /_emulator/device/deny":
      return denyDevice(ctx, await readJson());
    case "GET /_emulator/stats":
      return { status: 200, body: ctx.stats.snapshot() };
    case "POST /_emulator/faults":
      return addFault(ctx, await readJson());
    case "DELETE /_emulator/faults":
      return { status: 200, body: { cleared: ctx.faults.clear() } };
    case "POST /_emulator/reset":
      return reset(ctx);
    case "GET /_emulator/issuer/jwks.json":
      return { status: 200, body: jwksOf(ctx.keys.issuer) };
    case "GET /_emulator/id-token/jwks.json":
      return { status: 200, body: jwksOf(ctx.keys.idToken) };
    case "GET /_emulator/health":
      return { status: 200, body: { status: "ok" } };
    default:
      return undefined;
  }
}

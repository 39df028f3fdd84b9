import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createUpstream, type CreateUpstreamOptions, type Upstream, type UpstreamTokenRequest } from "../../../src/upstream/index.js";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const REDIRECT_URI = "https://mywebapp.example/redirect";

let emulator: RunningEmulator;
const upstreams: Upstream[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterEach(async () => {
  for (const upstream of upstreams.splice(0)) upstream.destroy();
  logLines.length = 0;
  await devApi("POST", "/_emulator/reset");
});
afterAll(async () => {
  await emulator.stop();
});

async function devApi(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return response.json();
}

const upstreamCalls = async (): Promise<number> => (await devApi("GET", "/_emulator/stats")).calls.CreateTokenWithIAM;

function upstreamFor(overrides: Partial<CreateUpstreamOptions> = {}): Upstream {
  const upstream = createUpstream({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: emulator.credentials,
    timeoutMs: 2000,
    connectTimeoutMs: 1000,
    maxAttempts: 3,
    logger: createLogger({ level: "debug", destination: { write: (line: string) => void logLines.push(line) } }),
    ...overrides,
  });
  upstreams.push(upstream);
  return upstream;
}

async function jwtBearerRequest(): Promise<UpstreamTokenRequest> {
  const { assertion } = await devApi("POST", "/_emulator/assertions", { sub: "alice" });
  return { clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion };
}

async function authorizationCodeRequest(): Promise<UpstreamTokenRequest> {
  const { code } = await devApi("POST", "/_emulator/authorize", { redirectUri: REDIRECT_URI, sub: "alice" });
  return { clientId: emulator.defaultClientId, grantType: "authorization_code", code, redirectUri: REDIRECT_URI };
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe("createUpstream against the emulator", () => {
  it("exchanges a JWT-bearer assertion for AWS's response in one upstream call", async () => {
    const response = await upstreamFor().createTokenWithIAM(await jwtBearerRequest());
    expect(Object.keys(response).sort()).toEqual(
      ["accessToken", "awsAdditionalDetails", "expiresIn", "idToken", "issuedTokenType", "refreshToken", "requestId", "scope", "tokenType"],
    );
    expect(response).toMatchObject({ tokenType: "Bearer", expiresIn: 3600, issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid", "aws", "sts:identity_context"] });
    expect(response.accessToken).toMatch(/^aoa/);
    expect(await upstreamCalls()).toBe(1);
  });

  it("exchanges an authorization code", async () => {
    const response = await upstreamFor().createTokenWithIAM(await authorizationCodeRequest());
    expect(response.tokenType).toBe("Bearer");
    expect(await upstreamCalls()).toBe(1);
  });

  it("maps InvalidGrantException to INVALID_GRANT with AWS's description and request id, without retrying", async () => {
    const error = await rejection(upstreamFor().createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion: "not-a-jwt" }));
    expect(error.code).toBe("INVALID_GRANT");
    expect(error.retryable).toBe(false);
    expect(error.details.awsException).toBe("InvalidGrantException");
    expect(error.details.awsErrorDescription).toEqual(expect.any(String));
    expect(error.details.awsRequestId).toEqual(expect.any(String));
    expect(await upstreamCalls()).toBe(1);
  });

  it("turns a response slower than timeoutMs into UPSTREAM_UNAVAILABLE, on time", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs: 3000 });
    const upstream = upstreamFor({ timeoutMs: 300, maxAttempts: 1 });
    const started = Date.now();
    const error = await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await upstreamCalls()).toBe(1);
  });

  it("retries InternalServerException up to maxAttempts, then answers UPSTREAM_SERVER_ERROR after exactly 3 calls", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException" });
    const error = await rejection(upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(await jwtBearerRequest()));
    expect(error.code).toBe("UPSTREAM_SERVER_ERROR");
    expect(error.details.awsException).toBe("InternalServerException");
    expect(await upstreamCalls()).toBe(3);
  });

  it("succeeds when a retry gets past a transient InternalServerException", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    const response = await upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(await jwtBearerRequest());
    expect(response.tokenType).toBe("Bearer");
    expect(await upstreamCalls()).toBe(2);
  });

  it("never replays an authorization code after a dropped connection: exactly 1 upstream call", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", dropConnection: true });
    const error = await rejection(upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(await authorizationCodeRequest()));
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(await upstreamCalls()).toBe(1);
  });

  it("never replays an authorization code after a timeout or a 5xx: one call each", async () => {
    const upstream = upstreamFor({ timeoutMs: 300, maxAttempts: 3 });
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs: 3000, count: 1 });
    expect((await rejection(upstream.createTokenWithIAM(await authorizationCodeRequest()))).code).toBe("UPSTREAM_UNAVAILABLE");
    expect(await upstreamCalls()).toBe(1);
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    expect((await rejection(upstream.createTokenWithIAM(await authorizationCodeRequest()))).code).toBe("UPSTREAM_SERVER_ERROR");
    expect(await upstreamCalls()).toBe(2);
  });

  it("does replay a JWT-bearer exchange after a dropped connection (it is idempotent)", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", dropConnection: true });
    const error = await rejection(upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(await jwtBearerRequest()));
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(await upstreamCalls()).toBe(3);
  });

  it("treats a bad signature as the gateway's fault: INTERNAL_SERVER_ERROR, logged at error level with name and request id only", async () => {
    const upstream = upstreamFor({ credentials: { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: "wrong-secret-wrong-secret" } });
    const request = await jwtBearerRequest();
    const error = await rejection(upstream.createTokenWithIAM(request));
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect(error.details.awsException).toBe("InvalidSignatureException");
    const errorLines = logLines.map((line) => JSON.parse(line)).filter((line) => line.level === 50);
    expect(errorLines).toHaveLength(1);
    const { level, time, pid, hostname, msg, ...fields } = errorLines[0];
    expect(fields).toEqual({ awsException: "InvalidSignatureException", awsRequestId: error.details.awsRequestId });
    expect(logLines.join("")).not.toContain(request.assertion);
  });
});

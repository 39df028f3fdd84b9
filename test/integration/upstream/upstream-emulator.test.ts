import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createUpstream, type CreateUpstreamOptions, type GatewayUpstream, type UpstreamTokenRequest } from "../../../src/upstream/index.js";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const REDIRECT_URI = "https://mywebapp.example/redirect";

let emulator: RunningEmulator;
const upstreams: GatewayUpstream[] = [];
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

function upstreamFor(overrides: Partial<CreateUpstreamOptions> = {}): GatewayUpstream {
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

describe("createUpstream circuit breaker against the emulator's faults", () => {
  const COOLDOWN_MS = 400;
  const breakerUpstream = () => upstreamFor({ timeoutMs: 300, maxAttempts: 1, circuitBreaker: { threshold: 3, cooldownMs: COOLDOWN_MS } });
  const codeOf = async (promise: Promise<unknown>) => (await rejection(promise)).code;
  const logged = () => logLines.map((line) => JSON.parse(line) as { msg: string });

  it("opens after a burst of 500s, then fails fast with UPSTREAM_UNAVAILABLE and zero new upstream calls", async () => {
    const upstream = breakerUpstream();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException" });
    for (let i = 0; i < 3; i++) expect(await codeOf(upstream.createTokenWithIAM(await jwtBearerRequest()))).toBe("UPSTREAM_SERVER_ERROR");
    expect(await upstreamCalls()).toBe(3);
    expect(upstream.health()).toEqual({ ok: false, circuit: "open", detail: expect.stringMatching(/^circuit open after 3 consecutive availability faults; next probe in \d+ ms$/) });

    const failFast = await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    expect(failFast.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(failFast.details).toEqual({ retryAfterSeconds: 1 });
    for (let i = 0; i < 5; i++) expect(await codeOf(upstream.createTokenWithIAM(await jwtBearerRequest()))).toBe("UPSTREAM_UNAVAILABLE");
    expect(await upstreamCalls()).toBe(3);
    expect(logged().filter((line) => line.msg.startsWith("upstream circuit opened"))).toHaveLength(1);
  });

  it("lets one probe through after the cool-down; an answer closes the circuit", async () => {
    const upstream = breakerUpstream();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 3 });
    for (let i = 0; i < 3; i++) await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    expect(upstream.health().ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));

    const probe = await upstream.createTokenWithIAM(await jwtBearerRequest());
    expect(probe.tokenType).toBe("Bearer");
    expect(upstream.health()).toEqual({ ok: true, circuit: "closed", detail: "circuit closed: Identity Center answers" });
    expect(await upstreamCalls()).toBe(4);
    expect((await upstream.createTokenWithIAM(await jwtBearerRequest())).tokenType).toBe("Bearer");
    expect(await upstreamCalls()).toBe(5);
    expect(logged().map((line) => line.msg).filter((msg) => msg.startsWith("upstream circuit"))).toEqual([
      "upstream circuit opened: failing fast until a probe succeeds",
      "upstream circuit half-open: probing Identity Center",
      "upstream circuit closed: Identity Center answers again",
    ]);
  });

  it("re-opens for another cool-down when the probe fails: one probe call, then fail-fast again", async () => {
    const upstream = breakerUpstream();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException" });
    for (let i = 0; i < 3; i++) await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));
    expect(await codeOf(upstream.createTokenWithIAM(await jwtBearerRequest()))).toBe("UPSTREAM_SERVER_ERROR");
    expect(await upstreamCalls()).toBe(4);
    expect(await codeOf(upstream.createTokenWithIAM(await jwtBearerRequest()))).toBe("UPSTREAM_UNAVAILABLE");
    expect(await upstreamCalls()).toBe(4);
    expect(upstream.health().circuit).toBe("open");
  });

  it("opens on latency past the timeout and on dropped connections (availability faults)", async () => {
    const slow = breakerUpstream();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs: 2000, count: 3 });
    for (let i = 0; i < 3; i++) expect(await codeOf(slow.createTokenWithIAM(await jwtBearerRequest()))).toBe("UPSTREAM_UNAVAILABLE");
    expect(slow.health().circuit).toBe("open");

    const dropped = breakerUpstream();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", dropConnection: true, count: 3 });
    for (let i = 0; i < 3; i++) expect(await codeOf(dropped.createTokenWithIAM(await jwtBearerRequest()))).toBe("UPSTREAM_UNAVAILABLE");
    expect(dropped.health().circuit).toBe("open");
    expect(await upstreamCalls()).toBe(6);
    expect(await codeOf(dropped.createTokenWithIAM(await jwtBearerRequest()))).toBe("UPSTREAM_UNAVAILABLE");
    expect(await upstreamCalls()).toBe(6);
  });

  it("never opens for rejected grants or throttling: AWS answered", async () => {
    const upstream = breakerUpstream();
    for (let i = 0; i < 5; i++) {
      expect(await codeOf(upstream.createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion: `not-a-jwt-${i}` }))).toBe("INVALID_GRANT");
    }
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "SlowDownException", count: 5 });
    for (let i = 0; i < 5; i++) expect(await codeOf(upstream.createTokenWithIAM(await jwtBearerRequest()))).toBe("SLOW_DOWN");
    expect(upstream.health()).toEqual({ ok: true, circuit: "closed", detail: "circuit closed: Identity Center answers" });
    expect(await upstreamCalls()).toBe(10);
    expect((await upstream.createTokenWithIAM(await jwtBearerRequest())).tokenType).toBe("Bearer");
  });

  it("counts only consecutive faults: an answer in between resets the count", async () => {
    const upstream = breakerUpstream();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 2 });
    for (let i = 0; i < 2; i++) await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    expect(await codeOf(upstream.createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion: "not-a-jwt" }))).toBe("INVALID_GRANT");
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 2 });
    for (let i = 0; i < 2; i++) await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    expect(upstream.health().circuit).toBe("closed");
  });
});

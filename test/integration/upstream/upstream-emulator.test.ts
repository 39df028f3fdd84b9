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

  it("never replays an authorization code after a 5xx: one call", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    expect((await rejection(upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(await authorizationCodeRequest()))).code).toBe("UPSTREAM_SERVER_ERROR");
    expect(await upstreamCalls()).toBe(1);
  });

  it("lets an authorization code's answer slower than timeoutMs arrive: resolves with AWS's tokens after exactly 1 call", async () => {
    const upstream = upstreamFor({ timeoutMs: 300, maxAttempts: 3 });
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs: 1200, count: 1 });
    expect((await upstream.createTokenWithIAM(await authorizationCodeRequest())).tokenType).toBe("Bearer");
    expect(await upstreamCalls()).toBe(1);
  });

  it("does replay a JWT-bearer exchange after a dropped connection (it is idempotent)", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", dropConnection: true });
    const error = await rejection(upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(await jwtBearerRequest()));
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(await upstreamCalls()).toBe(3);
  });

  it("treats a bad signature as the gateway's credentials: GATEWAY_CREDENTIALS_INVALID, not ready with the cause, logged at error once; a later accepted call clears it", async () => {
    const credentials = { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: "wrong-secret-wrong-secret" };
    const upstream = upstreamFor({ credentials });
    const request = await jwtBearerRequest();
    const errors = [];
    for (let i = 0; i < 3; i++) errors.push(await rejection(upstream.createTokenWithIAM(i === 0 ? request : await jwtBearerRequest())));
    expect(errors.map((error) => error.code)).toEqual(Array(3).fill("GATEWAY_CREDENTIALS_INVALID"));
    expect(errors[0]?.details).toEqual({ awsRequestId: expect.any(String) });
    expect(upstream.health()).toEqual({
      ok: false, circuit: "closed", credentials: "rejected",
      detail: "gateway AWS credentials: AWS rejected the gateway's request signature (InvalidSignatureException, HTTP 403): the secret access key does not match the access key id, or the clock is off",
    });
    const errorLines = logLines.map((line) => JSON.parse(line)).filter((line) => line.level === 50);
    expect(errorLines).toHaveLength(1);
    const { level, time, pid, hostname, msg, ...fields } = errorLines[0];
    expect(msg).toBe("AWS rejected the gateway's own AWS credentials: exchanges answer GATEWAY_CREDENTIALS_INVALID and /readyz is not ready until an operator fixes them");
    expect(fields).toEqual({ cause: "bad-signature", reason: expect.stringContaining("InvalidSignatureException"), credentialSource: "static", awsRequestId: errors[0]?.details.awsRequestId });
    expect(logLines.join("")).not.toContain(request.assertion);
    expect(logLines.join("")).not.toContain("wrong-secret-wrong-secret");

    credentials.secretAccessKey = emulator.credentials.secretAccessKey; // the operator fixes the secret
    expect((await upstream.createTokenWithIAM(await jwtBearerRequest())).tokenType).toBe("Bearer");
    expect(upstream.health()).toEqual({ ok: true, circuit: "closed", credentials: "ok", detail: "circuit closed: Identity Center answers" });
    expect(logLines.map((line) => JSON.parse(line).msg)).toContain("the gateway's AWS credentials work again");
  });

  it("names an unknown access key id as unrecognised (UnrecognizedClientException)", async () => {
    const upstream = upstreamFor({ credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "whatever-whatever" } });
    expect((await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()))).code).toBe("GATEWAY_CREDENTIALS_INVALID");
    expect(upstream.health()).toMatchObject({ ok: false, credentials: "rejected", detail: expect.stringContaining("AWS does not recognise the gateway's access key id (UnrecognizedClientException, HTTP 403)") });
  });
});

describe("createUpstream time bounds against the emulator", () => {
  let callsBefore = 0;
  /** A live refresh token; upstream calls are counted from here on (`callsSince()`). */
  async function refreshRequest(): Promise<UpstreamTokenRequest> {
    const { refreshToken } = await upstreamFor().createTokenWithIAM(await jwtBearerRequest());
    callsBefore = await upstreamCalls();
    return { clientId: emulator.defaultClientId, grantType: "refresh_token", refreshToken: refreshToken! };
  }
  const callsSince = async () => (await upstreamCalls()) - callsBefore;

  it("ends a JWT-bearer exchange at deadlineMs with UPSTREAM_UNAVAILABLE, not after maxAttempts × timeoutMs: 1 call instead of 3", async () => {
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs: 5000 });
    const error = await rejection(upstreamFor({ timeoutMs: 2000, maxAttempts: 3, deadlineMs: 500 }).createTokenWithIAM(await jwtBearerRequest()));
    expect({ code: error.code, retryable: error.retryable }).toEqual({ code: "UPSTREAM_UNAVAILABLE", retryable: true });
    expect(await upstreamCalls()).toBe(1);
  });

  it("sends a refresh once when AWS answers after timeoutMs, and resolves with that answer (the rotated token is not lost)", async () => {
    const request = await refreshRequest();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs: 1200, count: 1 });
    const response = await upstreamFor({ timeoutMs: 300, maxAttempts: 3, deadlineMs: 500 }).createTokenWithIAM(request);
    expect(response.refreshToken).toEqual(expect.any(String));
    expect(response.refreshToken).not.toBe(request.refreshToken);
    expect(await callsSince()).toBe(1);
  });

  it("retries a throttled refresh (SlowDownException: not processed) and resolves with the answer: 2 calls", async () => {
    const request = await refreshRequest();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "SlowDownException", count: 1 });
    expect((await upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(request)).accessToken).toEqual(expect.any(String));
    expect(await callsSince()).toBe(2);
  });

  it.each([
    ["a 5xx", { exception: "InternalServerException" }, "UPSTREAM_SERVER_ERROR"],
    ["a dropped connection", { dropConnection: true }, "UPSTREAM_UNAVAILABLE"],
  ])("never retries a refresh after %s: 1 call", async (_label, fault, code) => {
    const request = await refreshRequest();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", ...fault, count: 1 });
    expect((await rejection(upstreamFor({ maxAttempts: 3 }).createTokenWithIAM(request))).code).toBe(code);
    expect(await callsSince()).toBe(1);
  });

  it("counts a refresh slower than timeoutMs as a timeout for the circuit breaker, and still returns its answer", async () => {
    const upstream = upstreamFor({ timeoutMs: 200, maxAttempts: 1, circuitBreaker: { threshold: 1, cooldownMs: 60_000 } });
    const request = await refreshRequest();
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs: 800, count: 1 });
    expect((await upstream.createTokenWithIAM(request)).accessToken).toEqual(expect.any(String));
    expect(upstream.health()).toMatchObject({ ok: false, circuit: "open" });
    expect(await callsSince()).toBe(1);
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
    expect(upstream.health()).toEqual({ ok: false, circuit: "open", credentials: "ok", detail: expect.stringMatching(/^circuit open after 3 consecutive availability faults; next probe in \d+ ms$/) });

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
    expect(upstream.health()).toEqual({ ok: true, circuit: "closed", credentials: "ok", detail: "circuit closed: Identity Center answers" });
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
    expect(upstream.health()).toEqual({ ok: true, circuit: "closed", credentials: "ok", detail: "circuit closed: Identity Center answers" });
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

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dataOf, graphql, onlyError } from "../../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { CREATE_TOKEN, CREATE_TOKEN_MINIMAL, REFRESH_TOKEN } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * The emulator's fault injection against the real gateway process: an Identity Center that is
 * slow, failing, dropping connections or throttling. Every request gets an answer (HTTP 200 with
 * a coded GraphQL error, never a 5xx or a hang), and the circuit breaker stops the gateway from
 * hammering an upstream that is down: once open, calls fail fast with ZERO new upstream calls and
 * /readyz says degraded (200: Identity Center failing fails every replica alike) naming the open
 * circuit; after the cool-down one probe closes it again.
 * UPSTREAM_DEADLINE_MS ends a replayable exchange, retries included; a refresh (single use) is
 * never replayed and never cut short: a slow answer still reaches the caller.
 */

// Past what the emulator takes on a loaded CI host: a good call that times out counts as a fault.
const UPSTREAM_TIMEOUT_MS = 600;
const THRESHOLD = 3;
// Long enough that the 20 fail-fast calls below all land inside it on a slow host (a CI run at twice the
// usual time took over 600 ms for them: the circuit half-opened and one went upstream).
const COOLDOWN_MS = 2_000;
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({
    env: {
      UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
      UPSTREAM_MAX_ATTEMPTS: "1",
      CIRCUIT_BREAKER_THRESHOLD: String(THRESHOLD),
      CIRCUIT_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      // This file measures the upstream, not the gateway's own rate limits.
      RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
      RATE_LIMIT_APP_PER_SECOND: "0",
    },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});
afterEach(async () => {
  await emulator.clearFaults();
  await closeCircuit();
  await emulator.reset();
});

/**
 * Leaves the circuit closed with no fault counted, for the next test: a good exchange resets the
 * count. /readyz calls a half-open circuit ok, and a "good" call can itself fail on a loaded host,
 * so this checks both the answer and the circuit, and tries again (it once left two faults counted,
 * and the next test's burst opened the circuit at its first 500).
 */
const isClosed = (upstream: { detail: string } | undefined) => upstream?.detail.startsWith("circuit closed") === true;

async function closeCircuit(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (!isClosed((await readyz()).body.checks.upstream)) await sleep(COOLDOWN_MS + 50);
    const result = await exchange();
    const upstream = (await readyz()).body.checks.upstream;
    if (result.body.errors === undefined && isClosed(upstream)) return;
    if (attempt === 5) throw new Error(`the circuit is not closed after ${attempt} exchanges: ${JSON.stringify({ errors: result.body.errors, upstream })}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function exchange() {
  const assertion = await emulator.mintAssertion({ sub: `user-${Math.random().toString(36).slice(2)}` });
  return graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } });
}

async function readyz(): Promise<{ status: number; body: { status: string; checks: Record<string, { ok: boolean; detail: string }> } }> {
  const response = await fetch(new URL("/readyz", gateway.url));
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, { ok: boolean; detail: string }> } };
}

/** A live refresh token from one exchange; returns it with the upstream call count after that exchange. */
async function refreshTokenOf(target: GatewayProcess, api: EmulatorApi): Promise<{ refreshToken: string; callsBefore: number }> {
  const assertion = await api.mintAssertion({ sub: `user-${Math.random().toString(36).slice(2)}` });
  const refreshToken = dataOf(await graphql(target.url, CREATE_TOKEN, { input: { grantType: "JWT_BEARER", assertion } })).createTokenWithIAM.refreshToken as string;
  return { refreshToken, callsBefore: await api.createTokenWithIAMCalls() };
}

async function codeOfExchange(): Promise<unknown> {
  const result = await exchange();
  expect(result.status).toBe(200);
  return result.body.errors?.[0]?.extensions?.code ?? "ok";
}

describe("upstream faults against the gateway process", () => {
  it("latency past UPSTREAM_TIMEOUT_MS → UPSTREAM_UNAVAILABLE (HTTP 200, retryable) after one upstream call", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: UPSTREAM_TIMEOUT_MS * 3, count: 1 });
    const result = await exchange();
    expect(result.status).toBe(200);
    expect(onlyError(result).extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryable: true });
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });

  it("a burst of 500s opens the circuit: then calls fail fast with zero new upstream calls; after the cool-down a probe closes it", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException" });
    const burst = await Promise.all(Array.from({ length: THRESHOLD }, () => codeOfExchange()));
    expect(burst).toEqual(Array(THRESHOLD).fill("UPSTREAM_SERVER_ERROR"));
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD);

    const failFast = await Promise.all(Array.from({ length: 20 }, () => exchange()));
    for (const result of failFast) {
      expect(result.status).toBe(200);
      const extensions = onlyError(result).extensions;
      expect(extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryable: true });
      // The cool-down's remaining whole seconds, rounded up.
      expect([1, 2]).toContain(extensions?.retryAfterSeconds);
    }
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD);
    const degraded = await readyz();
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe("degraded");
    expect(degraded.body.checks.upstream).toEqual({ ok: false, detail: expect.stringMatching(/^circuit open after 3 consecutive availability faults; next probe in \d+ ms$/) });

    await emulator.clearFaults();
    await sleep(COOLDOWN_MS + 50);
    dataOf(await exchange());
    expect(await readyz()).toEqual({ status: 200, body: expect.objectContaining({ status: "ready", checks: expect.objectContaining({ upstream: { ok: true, detail: "circuit closed: Identity Center answers" } }) }) });
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD + 1);
    expect(await codeOfExchange()).toBe("ok");
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD + 2);
    expect(gateway.logLines().map((line) => line.msg).filter((msg) => String(msg).startsWith("upstream circuit"))).toEqual([
      "upstream circuit opened: failing fast until a probe succeeds",
      "upstream circuit half-open: probing Identity Center",
      "upstream circuit closed: Identity Center answers again",
    ]);
  });

  it("dropped connections → UPSTREAM_UNAVAILABLE for each caller, and they open the circuit too", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", dropConnection: true });
    for (let i = 0; i < THRESHOLD; i++) expect(await codeOfExchange()).toBe("UPSTREAM_UNAVAILABLE");
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD);
    expect(await codeOfExchange()).toBe("UPSTREAM_UNAVAILABLE");
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD);
  });

  it("throttling (SlowDownException) answers SLOW_DOWN and never opens the circuit: every call reaches the upstream", async () => {
    await emulator.addFault({ operation: "CreateTokenWithIAM", exception: "SlowDownException", count: THRESHOLD * 3 });
    for (let i = 0; i < THRESHOLD * 3; i++) expect(await codeOfExchange()).toBe("SLOW_DOWN");
    expect(await codeOfExchange()).toBe("ok");
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD * 3 + 1);
  });

  it("a refresh whose answer comes after UPSTREAM_TIMEOUT_MS is sent once and answered with AWS's rotated tokens (the user is not logged out)", async () => {
    const { refreshToken, callsBefore } = await refreshTokenOf(gateway, emulator);
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: UPSTREAM_TIMEOUT_MS * 2, count: 1 });
    const refreshed = dataOf(await graphql(gateway.url, REFRESH_TOKEN, { input: { refreshToken } })).refreshToken;
    expect(refreshed.accessToken).toEqual(expect.any(String));
    expect(refreshed.refreshToken).not.toBe(refreshToken);
    expect(await emulator.createTokenWithIAMCalls()).toBe(callsBefore + 1);
  });

  it("rejected grants (INVALID_GRANT) never open the circuit", async () => {
    for (let i = 0; i < THRESHOLD * 2; i++) {
      const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion: unsignedJwt({ sub: `forged-${i}` }) } });
      expect(onlyError(result).extensions?.code).toBe("INVALID_GRANT");
    }
    expect(await codeOfExchange()).toBe("ok");
    expect(await emulator.createTokenWithIAMCalls()).toBe(THRESHOLD * 2 + 1);
  });
});

describe("UPSTREAM_DEADLINE_MS and retries against the gateway process", () => {
  const DEADLINE_MS = 500;
  let retrying: GatewayProcess;
  let api: EmulatorApi;

  beforeAll(async () => {
    retrying = await startGateway({
      env: {
        UPSTREAM_TIMEOUT_MS: "2000",
        UPSTREAM_MAX_ATTEMPTS: "3",
        UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
        RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
        RATE_LIMIT_APP_PER_SECOND: "0",
      },
    });
    api = emulatorApi(retrying.emulatorUrl!);
  });
  afterAll(async () => {
    await retrying?.stop();
  });
  afterEach(async () => {
    await api.clearFaults();
    await api.reset();
  });

  it("a hanging upstream is answered UPSTREAM_UNAVAILABLE at the deadline: 1 upstream call, not 3 attempts × UPSTREAM_TIMEOUT_MS", async () => {
    await api.addFault({ operation: "CreateTokenWithIAM", latencyMs: 5000 });
    const assertion = await api.mintAssertion({ sub: "alice" });
    const result = await graphql(retrying.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } });
    expect(result.status).toBe(200);
    expect(onlyError(result).extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryable: true });
    expect(await api.createTokenWithIAMCalls()).toBe(1);
  });

  it("a throttled refresh (SlowDownException: not processed) is retried and answered", async () => {
    const { refreshToken, callsBefore } = await refreshTokenOf(retrying, api);
    await api.addFault({ operation: "CreateTokenWithIAM", exception: "SlowDownException", count: 1 });
    // The SDK's throttling back-off may outlast UPSTREAM_DEADLINE_MS: the caller is then answered
    // UPSTREAM_UNAVAILABLE while the call goes on, and its retry receives the kept answer.
    let result = await graphql(retrying.url, REFRESH_TOKEN, { input: { refreshToken } });
    if (result.body.errors?.[0]?.extensions?.code === "UPSTREAM_UNAVAILABLE") result = await graphql(retrying.url, REFRESH_TOKEN, { input: { refreshToken } });
    const refreshed = dataOf(result).refreshToken;
    expect(refreshed.refreshToken).not.toBe(refreshToken);
    expect(await api.createTokenWithIAMCalls()).toBe(callsBefore + 2);
  });

  it("a refresh is never retried after a 5xx (AWS may have rotated the token): 1 upstream call", async () => {
    const { refreshToken, callsBefore } = await refreshTokenOf(retrying, api);
    await api.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    const result = await graphql(retrying.url, REFRESH_TOKEN, { input: { refreshToken } });
    expect(onlyError(result).extensions?.code).toBe("UPSTREAM_SERVER_ERROR");
    expect(await api.createTokenWithIAMCalls()).toBe(callsBefore + 1);
  });
});

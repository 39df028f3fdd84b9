import { afterAll, beforeAll, expect, it } from "vitest";
import { dataOf, graphql, type GraphQLResult } from "../../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { CREATE_TOKEN_MINIMAL, REFRESH_TOKEN } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { findFreePort, rawRedis, sleep, startRedisServer, type RedisServerProcess } from "../store/redis-test-support.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";

/**
 * Redis dies under load: a private redis-server on an ephemeral port backs the gateway, a steady
 * stream of exchanges and refreshes runs, Redis is SIGKILLed in the middle and restarted on the
 * same port. Every request must get an answer — data or a coded GraphQL error, HTTP 200, never a
 * 5xx, never INTERNAL_SERVER_ERROR, never a hang — and the gateway must serve normally afterwards.
 */

const redisServer = probeRedisServerBinary();

/** Requests that must start and be answered in each phase (before the kill, during the outage, twice that after the restart). */
const PHASE_ANSWERS = 6;
/** A phase that gets no answers for this long has hung (the test's guard, not a measurement). */
const HANG_GUARD_MS = 30_000;
const CONCURRENCY = 6;
/** A request taking longer than this counts as a hang. */
const HANG_MS = 10_000;

async function countKeys(port: number): Promise<number> {
  const raw = rawRedis(`redis://127.0.0.1:${port}`);
  try {
    return await raw.dbsize();
  } finally {
    raw.disconnect();
  }
}

describeNeeding(redisServer, "a gateway whose Redis is killed mid-load", () => {
  let redis: RedisServerProcess | undefined;
  let gateway: GatewayProcess;
  let emulator: EmulatorApi;
  let port: number;

  beforeAll(async () => {
    port = await findFreePort();
    redis = await startRedisServer(port);
    gateway = await startGateway({
      env: { REDIS_URL: redis.url, GATEWAY_SECRET: "redis-killed-test-secret-0123456789abcdef", RATE_LIMIT_CALLER_PER_SECOND: "100000", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "100000" },
    });
    emulator = emulatorApi(gateway.emulatorUrl!);
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  type Phase = "before" | "outage" | "after";
  /** Waits (polling, bounded only as a hang guard) until `done()`; the phases end on answers, not on a clock. */
  async function until(done: () => boolean, what: string): Promise<void> {
    const giveUpAt = Date.now() + HANG_GUARD_MS;
    while (!done()) {
      if (Date.now() > giveUpAt) throw new Error(`no progress: waited ${HANG_GUARD_MS} ms for ${what}`);
      await sleep(20);
    }
  }

  type Outcome = { kind: "answered"; status: number; code: string } | { kind: "failed"; reason: string };

  async function oneRequest(worker: number, n: number): Promise<Outcome> {
    try {
      const signal = AbortSignal.timeout(HANG_MS);
      const assertion = await emulator.mintAssertion({ sub: `load-${worker}-${n}` });
      const post = (query: string, variables: Record<string, unknown>) =>
        fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }), signal });
      const first = await post(CREATE_TOKEN_MINIMAL.replace("{ accessToken }", "{ accessToken refreshToken }"), { input: { grantType: "JWT_BEARER", assertion } });
      const body = (await first.json()) as GraphQLResult["body"];
      const refreshToken = (body.data as { createTokenWithIAM?: { refreshToken?: string } } | null)?.createTokenWithIAM?.refreshToken;
      if (first.status !== 200 || !refreshToken) return { kind: "answered", status: first.status, code: body.errors?.[0]?.extensions?.code ?? "no-data" };
      const second = await post(REFRESH_TOKEN, { input: { refreshToken } });
      const refreshed = (await second.json()) as GraphQLResult["body"];
      return { kind: "answered", status: second.status, code: refreshed.errors?.[0]?.extensions?.code ?? "ok" };
    } catch (error) {
      return { kind: "failed", reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  it("answers every request while Redis is killed and restarted, and serves normally afterwards", async () => {
    const outcomes: Outcome[] = [];
    /** The phase each request started in: the outage window is counted by events (answers), not by wall-clock time. */
    let phase: Phase = "before";
    const finished: Record<Phase, number> = { before: 0, outage: 0, after: 0 };
    let running = true;
    const workers = Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let n = 0; running; n++) {
        const startedIn = phase;
        outcomes.push(await oneRequest(worker, n));
        finished[startedIn] += 1;
      }
    });

    await until(() => finished.before >= PHASE_ANSWERS, "answers before the kill");
    const beforeKill = outcomes.length;
    const keysBeforeKill = await countKeys(port);
    await redis!.stop();
    phase = "outage";
    await until(() => finished.outage >= PHASE_ANSWERS, "answers while Redis is down");
    const duringOutage = finished.outage;
    redis = await startRedisServer(port);
    phase = "after";
    await until(() => finished.after >= PHASE_ANSWERS * 2, "answers after the restart");
    running = false;
    await Promise.all(workers);

    expect(beforeKill).toBeGreaterThan(0);
    expect(keysBeforeKill).toBeGreaterThan(0); // the gateway really kept its state in this Redis
    expect(duringOutage).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome.kind === "failed")).toEqual([]);
    const answered = outcomes.filter((outcome): outcome is Extract<Outcome, { kind: "answered" }> => outcome.kind === "answered");
    expect(answered.filter((outcome) => outcome.status !== 200)).toEqual([]);
    const codes = new Set(answered.map((outcome) => outcome.code));
    expect(codes.has("INTERNAL_SERVER_ERROR")).toBe(false);
    expect(codes.has("no-data")).toBe(false);
    expect(codes.has("ok")).toBe(true);

    // After the restart: a fresh exchange and refresh work, and the process is alive.
    const assertion = await emulator.mintAssertion({ sub: "after-restart" });
    dataOf(await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } }));
    expect((await fetch(new URL("/healthz", gateway.url))).status).toBe(200);
    expect(gateway.child.exitCode).toBeNull();
  });
});

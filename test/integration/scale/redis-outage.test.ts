import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { sleep, startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { findFreePort, startRedisServer, type RedisServerProcess } from "../store/redis-test-support.js";
import { jwtBearer, refresh, replicaEnvironment, startReplicas, type IssuedTokens } from "./scale-support.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";

/**
 * Two gateway replicas on a private redis-server (ephemeral port, nothing on disk) that is
 * SIGKILLed mid-load and restarted on the same port: every request is answered throughout (the
 * store falls back to process memory), /readyz says degraded while Redis is gone, and once it is
 * back the replicas share state again without a restart.
 */
const redisServer = probeRedisServerBinary();
const redisInstalled = redisServer.missing === undefined;

let emulator: TestEmulator;
let redis: RedisServerProcess | undefined;
let port: number;
let replicas: GatewayProcess[] = [];
/** A replica started without GATEWAY_SECRET (generated): it cannot share anything with the others. */
let loner: GatewayProcess | undefined;

beforeAll(async () => {
  if (!redisInstalled) return;
  port = await findFreePort();
  redis = await startRedisServer(port);
  emulator = await startTestEmulator();
  const env = { ...replicaEnvironment({ emulator, redisUrl: redis.url, keyPrefix: "scale-outage-loner:" }, "unused"), GATEWAY_SECRET: undefined };
  [{ replicas }, loner] = await Promise.all([startReplicas(2, { emulator, redisUrl: redis.url, keyPrefix: "scale-outage:" }), startGateway({ env })]);
}, 30_000);

afterAll(async () => {
  await Promise.all([...replicas, ...(loner ? [loner] : [])].map((replica) => replica.stop()));
  await redis?.stop();
  if (redisInstalled) await emulator.stop();
});

let subjects = 0;
const mintAssertion = async () => (await emulator.dev.assertion({ sub: `outage-${(subjects += 1)}` })).assertion;
const calls = async (): Promise<number> => (await emulator.dev.stats()).calls.CreateTokenWithIAM;
/** GET /readyz as { ready: HTTP 200, the store check }. */
async function readiness(replica: GatewayProcess): Promise<{ ready: boolean; status: string; checks: { store: { ok: boolean; detail: string } } }> {
  const response = await fetch(replica.url.replace(/\/graphql$/, "/readyz"));
  const body = (await response.json()) as { status: string; checks: { store: { ok: boolean; detail: string } } };
  return { ready: response.status === 200, status: body.status, checks: body.checks };
}

type Phase = "up" | "down" | "back";

/**
 * Sends load until `during` settles: on each replica, a fresh JWT-bearer exchange and a refresh of that
 * replica's session, round after round. Counts the rounds that began and ended in each phase of the
 * outage (`phase()`: Redis up, gone, back), and returns every failure (there should be none).
 */
function startLoad(during: Promise<void>, phase: () => Phase) {
  let done = false;
  const rounds: Record<Phase, number> = { up: 0, down: 0, back: 0 };
  const failures: string[] = [];
  const finished = (async () => {
    void during.then(() => { done = true; }, () => { done = true; });
    const sessions: IssuedTokens[] = await Promise.all(replicas.map(async (replica) => (await jwtBearer(replica, await mintAssertion())).body.data!.createTokenWithIAM));
    while (!done) {
      const startedIn = phase();
      await Promise.all(replicas.map(async (replica, i) => {
        const [exchange, refreshed] = await Promise.all([jwtBearer(replica, await mintAssertion()), refresh(replica, sessions[i]!.refreshToken!)]);
        for (const result of [exchange, refreshed]) {
          if (result.body.errors?.length) failures.push(JSON.stringify(result.body.errors.map((error) => error.extensions?.code)));
        }
        if (refreshed.body.data) sessions[i] = refreshed.body.data.refreshToken;
      }));
      if (phase() === startedIn) rounds[startedIn] += 1;
    }
  })();
  return { rounds, failures, finished };
}

/** Resolves once `count()` reaches `atLeast` (the load's own pace: a slow host only takes longer). */
async function until(count: () => number, atLeast: number, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (count() < atLeast) {
    if (Date.now() > deadline) throw new Error(`${what}: ${count()} of ${atLeast} rounds in 15 s`);
    await sleep(20);
  }
}

describeNeeding(redisServer, "gateway replicas while Redis goes away and comes back", () => {
  it("warns loudly at start when REDIS_URL is set but GATEWAY_SECRET is generated (nothing can be shared)", async () => {
    const warnings = loner!.logLines().filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings).toContain(
      "REDIS_URL is set but GATEWAY_SECRET is generated: this replica's Redis keys and sealed values are unreadable to every other replica (no shared single-flight, cache or refresh grace). Set the same GATEWAY_SECRET on every replica.",
    );
    expect(replicas.flatMap((replica) => replica.logLines()).filter((line) => String(line.msg).startsWith("REDIS_URL is set but"))).toEqual([]);
  });

  it("answers every request before, during and after a Redis outage, says degraded on /readyz, and recovers by itself", async () => {
    let phase: Phase = "up";
    let load: ReturnType<typeof startLoad> | undefined;
    const outage = (async () => {
      await until(() => load?.rounds.up ?? 0, 2, "before the outage");
      await redis!.stop();
      phase = "down";
      await Promise.all(replicas.map((replica) => replica.waitForOutput(/store degraded/, 5_000)));
      const degraded = await Promise.all(replicas.map(readiness));
      expect(degraded.map((report) => [report.ready, report.status, report.checks.store.ok, report.checks.store.detail.startsWith("degraded: redis unreachable")])).toEqual([
        [true, "degraded", true, true],
        [true, "degraded", true, true],
      ]);
      // Served while Redis is gone: rounds that began and ended in the outage.
      await until(() => load!.rounds.down, 3, "during the outage");
      redis = await startRedisServer(port);
      await Promise.all(replicas.map((replica) => replica.waitForOutput(/store recovered/, 5_000)));
      phase = "back";
      await until(() => load!.rounds.back, 2, "after the outage");
    })();
    load = startLoad(outage, () => phase);
    await Promise.all([outage, load.finished]);
    expect(load.failures).toEqual([]);
    expect(load.rounds.down).toBeGreaterThanOrEqual(3);

    const recovered = await Promise.all(replicas.map(readiness));
    expect(recovered.map((report) => [report.ready, report.status, report.checks.store.detail.startsWith("degraded")])).toEqual([[true, "ready", false], [true, "ready", false]]);
    // Shared again: an identical exchange on both replicas at once costs one upstream call.
    const assertion = await mintAssertion();
    const before = await calls();
    const storm = await Promise.all(Array.from({ length: 10 }, (_, i) => jwtBearer(replicas[i % 2]!, assertion)));
    expect(storm.flatMap((result) => result.body.errors ?? [])).toEqual([]);
    expect(new Set(storm.map((result) => result.body.data!.createTokenWithIAM.accessToken)).size).toBe(1);
    expect((await calls()) - before).toBe(1);
  }, 25_000);
});

import { afterAll, beforeAll, expect, it } from "vitest";
import type { Redis } from "ioredis";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { jwtBearer, refresh, startReplicas } from "../scale/scale-support.js";
import { LEVEL, authorizationCode, linesAt, metricValue, outcomeOf, readiness } from "../tokens/token-state-support.js";
import { eventually, findFreePort, rawRedis, startRedisServer, type RedisServerProcess } from "./redis-test-support.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";

/**
 * A Redis that answers but refuses every write (maxmemory with the default noeviction policy:
 * "OOM command not allowed"), under a real gateway process: exchanges whose upstream call succeeds
 * still return their tokens, /readyz says degraded, one error line names the cause, /metrics counts
 * it, and the gateway goes back to Redis by itself once writes are accepted again.
 */
const redisServer = probeRedisServerBinary();
const redisInstalled = redisServer.missing === undefined;

const REDIRECT_URI = "https://mywebapp.example/redirect";
let server: RedisServerProcess | undefined;
let admin: Redis | undefined;
let emulator: TestEmulator | undefined;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  if (!redisInstalled) return;
  server = await startRedisServer(await findFreePort());
  admin = rawRedis(server.url);
  emulator = await startTestEmulator();
  ({ replicas: [gateway] } = await startReplicas(1, { emulator, redisUrl: server.url, keyPrefix: "test:writes-refused:" }));
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
  admin?.disconnect();
  await server?.stop();
  await emulator?.stop();
});

describeNeeding(redisServer, "a Redis that refuses writes (maxmemory, noeviction)", () => {
  it("still returns the tokens of every exchange, says degraded on /readyz, logs one error naming the cause, and counts it", async () => {
    const replica = gateway!;
    expect((await readiness(replica)).body.checks.store!.detail).not.toMatch(/^degraded/);
    await admin!.config("SET", "maxmemory-policy", "noeviction");
    await admin!.config("SET", "maxmemory", "1");
    await expect(admin!.set("probe", "x")).rejects.toThrow(/OOM/);

    const { assertion } = await emulator!.dev.assertion({ sub: "oom" });
    const signedIn = await jwtBearer(replica, assertion);
    expect(outcomeOf(signedIn)).toBe("ok");
    const refreshed = await refresh(replica, signedIn.body.data!.createTokenWithIAM.refreshToken!);
    expect(outcomeOf(refreshed)).toBe("ok");
    const { code } = await emulator!.dev.authorize({ redirectUri: REDIRECT_URI, sub: "oom" });
    expect(outcomeOf(await authorizationCode(replica, code, REDIRECT_URI))).toBe("ok");
    const second = await emulator!.dev.assertion({ sub: "oom-2" });
    expect(outcomeOf(await jwtBearer(replica, second.assertion))).toBe("ok");

    const ready = await readiness(replica);
    expect(ready.status).toBe(200);
    expect(ready.body.checks.store).toMatchObject({ ok: true });
    expect(ready.body.checks.store!.detail).toMatch(/^degraded: redis refuses writes \(OOM command not allowed.*\); serving from process memory, not shared with other replicas$/);
    const errors = linesAt(replica, LEVEL.error);
    expect(errors.map((line) => line.msg)).toEqual([expect.stringMatching(/^store degraded: redis refuses writes/)]);
    expect(String(errors[0]!.reason)).toMatch(/^OOM command not allowed/);
    expect(await metricValue(replica, 'idc_gateway_store_failures_total{cause="writes-refused"}')).toBeGreaterThanOrEqual(1);
  });

  it("goes back to Redis by itself once it accepts writes again", async () => {
    const replica = gateway!;
    await admin!.config("SET", "maxmemory", "0");
    await eventually("/readyz no longer degraded", async () => !(await readiness(replica)).body.checks.store!.detail.startsWith("degraded"), 10_000);
    expect(linesAt(replica, LEVEL.info).map((line) => line.msg)).toContain("store recovered: redis accepts writes again");
  });
});

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { replicaEnvironment } from "../scale/scale-support.js";
import { deleteKeysWithPrefix, eventually, findFreePort, rawRedis, sleep, startCuttableProxy, startRedisServer, type CuttableProxy, type RedisServerProcess } from "../store/redis-test-support.js";
import { browser, codeOf, REFRESH_SESSION, SESSION, SESSION_COOKIE, SIGN_IN, SIGN_OUT } from "./session-support.js";

/**
 * A session refresh one replica could not save (its Redis connection cut during the upstream call)
 * waits in that replica's memory. A sign-out on another replica meanwhile must stay a sign-out when
 * the wait ends: an attacker review saved the rotation after the sign-out's mark on the old id had
 * expired (it lasts minutes; the wait up to the idle timeout), and the old cookie, a thief's copy,
 * led to a live session again. The late save now needs the old id to still hold the live session.
 */
const redisServer = probeRedisServerBinary();
const keyPrefix = "test:late-save-signout:";
let redis: RedisServerProcess | undefined;
let proxy: CuttableProxy | undefined;
let admin: Redis | undefined;
let emulator: TestEmulator | undefined;
let partitioned: GatewayProcess | undefined;
let connected: GatewayProcess | undefined;

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  redis = await startRedisServer(await findFreePort());
  proxy = await startCuttableProxy(redis.port);
  admin = rawRedis(redis.url);
  emulator = await startTestEmulator();
  const env = replicaEnvironment({ emulator, redisUrl: redis.url, keyPrefix, env: { SESSION_MODE: "cookie" } }, `late-save-${randomBytes(16).toString("hex")}`);
  [partitioned, connected] = await Promise.all([startGateway({ env: { ...env, REDIS_URL: proxy.url } }), startGateway({ env })]);
}, 30_000);

afterAll(async () => {
  proxy?.restore();
  await emulator?.dev.clearFaults().catch(() => undefined);
  await Promise.all([partitioned?.stop(), connected?.stop()]);
  await proxy?.close();
  admin?.disconnect();
  await redis?.stop();
  await emulator?.stop();
});

describeNeeding(redisServer, "a session refresh saved late, after a sign-out on another replica", () => {
  it("is dropped: the signed-out session stays signed out for the old cookie, on every replica", async () => {
    const user = browser();
    const { assertion } = await emulator!.dev.assertion({ sub: "wendy" });
    expect((await user.post(connected!.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } })).body.errors).toBeUndefined();
    const stolen = user.cookie!;

    await emulator!.dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_500, count: 1 });
    const refreshing = user.post(partitioned!.url, REFRESH_SESSION);
    await sleep(600);
    proxy!.cut();
    try {
      expect(codeOf(await refreshing)).toBe("SESSION_STORE_UNAVAILABLE");
      expect((await user.post(connected!.url, SIGN_OUT)).body.data!.signOut).toBe(true);
      // The sign-out's marks on the id expire long before a wait can end (minutes against the idle timeout): gone here at once.
      expect(await deleteKeysWithPrefix(admin!, `${keyPrefix}idc:v1:session-ended:`)).toBeGreaterThan(0);
    } finally {
      proxy!.restore();
    }
    await eventually("the partitioned replica back on Redis", async () => (await fetch(new URL("/readyz", partitioned!.url))).status === 200 && ((await (await fetch(new URL("/readyz", partitioned!.url))).json()) as { status: string }).status === "ready", 15_000);
    // The wait retries every second.
    await sleep(2_500);
    for (const replica of [connected!, partitioned!]) {
      const thief = browser();
      const answer = await thief.post(replica.url, SESSION, {}, { cookie: `${SESSION_COOKIE}=${stolen}` });
      expect(answer.body.data!.session).toMatchObject({ authenticated: false });
    }
  }, 60_000);
});

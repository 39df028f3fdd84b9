import { afterAll, beforeAll, expect, it } from "vitest";
import type { Redis } from "ioredis";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { startReplicas } from "../scale/scale-support.js";
import { eventually, findFreePort, rawRedis, sleep, startRedisServer, type RedisServerProcess } from "../store/redis-test-support.js";
import { browser, codeOf, REFRESH_SESSION, SESSION, SIGN_IN } from "./session-support.js";

/**
 * A session refresh whose new tokens AWS issued while Redis stopped taking writes: the refresh token
 * is spent, so the new tokens must reach the session, not only the answer to this one request. Before,
 * the session kept the spent refresh token; once the grace window had passed, the next refresh on any
 * replica was refused and the user signed out. Now the rotation waits in the replica's memory, is saved
 * when Redis takes writes again, and the browser's old cookie leads to it on every replica.
 */
const redisServer = probeRedisServerBinary();
let redis: RedisServerProcess | undefined;
let admin: Redis | undefined;
let emulator: TestEmulator | undefined;
let replicas: GatewayProcess[] = [];

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  redis = await startRedisServer(await findFreePort());
  admin = rawRedis(redis.url);
  await admin.config("SET", "maxmemory-policy", "noeviction");
  emulator = await startTestEmulator();
  ({ replicas } = await startReplicas(2, { emulator, redisUrl: redis.url, keyPrefix: "test:session-refresh-failure:", env: { SESSION_MODE: "cookie", REFRESH_GRACE_SECONDS: "1" } }));
}, 30_000);

afterAll(async () => {
  await admin?.config("SET", "maxmemory", "0").catch(() => undefined);
  await emulator?.dev.clearFaults().catch(() => undefined);
  await Promise.all(replicas.map((replica) => replica.stop()));
  admin?.disconnect();
  await redis?.stop();
  await emulator?.stop();
});

const refreshCalls = async () => (await emulator!.dev.stats()).calls.CreateTokenWithIAM ?? 0;

describeNeeding(redisServer, "a session refresh the store fails to take", () => {
  it("is saved once Redis takes writes again, past the grace window: the old cookie leads to the new session on another replica, which refreshes", async () => {
    const [first, second] = replicas as [GatewayProcess, GatewayProcess];
    const user = browser();
    const { assertion } = await emulator!.dev.assertion({ sub: "rita" });
    expect((await user.post(first.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } })).body.errors).toBeUndefined();
    const oldCookie = user.cookie;

    // AWS answers the refresh slowly; Redis fills up (maxmemory, noeviction) while it does.
    await emulator!.dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1_500, count: 1 });
    const callsBefore = await refreshCalls();
    const refreshing = user.post(first.url, REFRESH_SESSION);
    await sleep(600);
    await admin!.config("SET", "maxmemory", "1");
    let refused;
    try {
      refused = await refreshing;
      expect(codeOf(refused)).toBe("SESSION_STORE_UNAVAILABLE");
      expect(refused.setCookie).toBeNull();
      expect(await refreshCalls()).toBe(callsBefore + 1);
      // Past the grace window before Redis takes writes again.
      await sleep(2_000);
    } finally {
      await admin!.config("SET", "maxmemory", "0");
    }
    expect(user.cookie).toBe(oldCookie);

    await eventually("the old cookie leads to the saved session", async () => {
      const answer = await user.post(second.url, SESSION);
      return answer.body.data?.session?.authenticated === true && user.cookie !== oldCookie;
    }, 10_000);
    const refreshed = await user.post(second.url, REFRESH_SESSION);
    expect(refreshed.body.errors).toBeUndefined();
    expect(refreshed.body.data!.refreshSession).toMatchObject({ authenticated: true, subject: "rita" });
    // The spent refresh token was never presented again: one call for the lost-then-saved refresh, one for this one.
    expect(await refreshCalls()).toBe(callsBefore + 2);
  }, 60_000);

  // The refresh's flight takes its lock with a write before the upstream call: a Redis that reads but refuses writes refuses the refresh there.
  it("is refused before its upstream call while Redis refuses writes: the refresh token is not spent", async () => {
    const [first] = replicas as [GatewayProcess];
    const user = browser();
    const { assertion } = await emulator!.dev.assertion({ sub: "sam" });
    expect((await user.post(first.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } })).body.errors).toBeUndefined();
    const callsBefore = await refreshCalls();
    try {
      await admin!.config("SET", "maxmemory", "1");
      const refused = await user.post(first.url, REFRESH_SESSION);
      expect(codeOf(refused)).toBe("SESSION_STORE_UNAVAILABLE");
    } finally {
      await admin!.config("SET", "maxmemory", "0");
    }
    expect(await refreshCalls()).toBe(callsBefore);
    await eventually("refreshed once Redis takes writes", async () => (await user.post(first.url, REFRESH_SESSION)).body.errors === undefined, 10_000);
    expect(await refreshCalls()).toBe(callsBefore + 1);
  }, 30_000);
});

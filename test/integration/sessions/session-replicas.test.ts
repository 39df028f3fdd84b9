import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { dumpKeys, startReplicas } from "../scale/scale-support.js";
import { browser, REFRESH_SESSION, SESSION, SIGN_IN, SIGN_OUT_EVERYWHERE, type Browser } from "./session-support.js";

/**
 * Session mode on three real gateway processes sharing one Redis: a session started on one replica
 * is served by the others, two tabs refreshing through two replicas at once make one upstream call
 * and land on one new session, and signing out everywhere on one replica ends the user's sessions
 * on all of them. Redis holds neither a session id nor a token in clear.
 */
const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("session-replicas");
const redis = rawRedis();
let emulator: TestEmulator;
let replicas: GatewayProcess[] = [];

beforeAll(async () => {
  if (sharedRedis.missing !== undefined) return;
  emulator = await startTestEmulator();
  ({ replicas } = await startReplicas(3, { emulator, redisUrl: SHARED_REDIS_URL, keyPrefix, env: { SESSION_MODE: "cookie" } }));
}, 30_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  if (sharedRedis.missing === undefined) {
    await deleteKeysWithPrefix(redis, keyPrefix);
    await emulator.stop();
  }
  redis.disconnect();
});

const upstreamCalls = async () => (await emulator.dev.stats()).calls.CreateTokenWithIAM;

async function signInAnswer(user: Browser, replica: GatewayProcess, sub: string) {
  const { assertion } = await emulator.dev.assertion({ sub, claims: { jti: `${sub}-${Math.random()}` } });
  return user.post(replica.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } });
}

async function signIn(user: Browser, replica: GatewayProcess, sub: string): Promise<void> {
  expect((await signInAnswer(user, replica, sub)).body.errors).toBeUndefined();
}

describeNeeding(sharedRedis, "session mode on three replicas sharing one Redis", () => {
  it("serves a session started on one replica from every other", async () => {
    const user = browser();
    await signIn(user, replicas[0]!, "alice");
    for (const replica of replicas) expect((await user.post(replica.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true, subject: "alice" });
  });

  it("makes one upstream call for two tabs refreshing through two replicas at once, and both land on the same new session", async () => {
    const user = browser();
    await signIn(user, replicas[0]!, "alice");
    const [tab1, tab2] = [browser(), browser()];
    tab1.cookie = tab2.cookie = user.cookie;
    const before = await upstreamCalls();
    const [a, b] = await Promise.all([tab1.post(replicas[1]!.url, REFRESH_SESSION), tab2.post(replicas[2]!.url, REFRESH_SESSION)]);
    expect(a.body.data!.refreshSession.authenticated).toBe(true);
    expect(b.body.data!.refreshSession.authenticated).toBe(true);
    expect(await upstreamCalls()).toBe(before + 1);
    expect(tab1.cookie).toBe(tab2.cookie);
    expect(tab1.cookie).not.toBe(user.cookie);
    for (const replica of replicas) expect((await tab1.post(replica.url, SESSION)).body.data!.session.authenticated).toBe(true);
  });

  it("ends the user's sessions on every replica when they sign out everywhere on one", async () => {
    const [laptop, phone, other] = [browser(), browser(), browser()];
    await signIn(laptop, replicas[0]!, "frank");
    await signIn(phone, replicas[1]!, "frank");
    await signIn(other, replicas[2]!, "grace");
    expect((await laptop.post(replicas[2]!.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);
    for (const replica of replicas) {
      const probe = browser();
      probe.cookie = phone.cookie;
      expect((await probe.post(replica.url, SESSION)).body.data!.session.authenticated).toBe(false);
      expect((await other.post(replica.url, SESSION)).body.data!.session.authenticated).toBe(true);
    }
  });

  it("keeps a user within SESSION_MAX_PER_USER (20) when 30 sign-ins of theirs land on three replicas at once, leaving no other record behind", async () => {
    const sessionRecords = async () => (await dumpKeys(redis, keyPrefix)).filter(({ key }) => key.includes("idc:v1:session:")).length;
    const before = await sessionRecords();
    const users = Array.from({ length: 30 }, () => browser());
    const answers = await Promise.all(users.map((user, i) => signInAnswer(user, replicas[i % 3]!, "storm-user")));
    // Sign-ins past the limit at the very same moment are answered too (their grants are spent): the oldest are displaced.
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    expect(await sessionRecords()).toBeLessThanOrEqual(before + 20);
    const other = browser();
    await signIn(other, replicas[0]!, "storm-other");

    for (const replica of replicas) {
      const live = await Promise.all(users.map(async (user) => {
        const probe = browser();
        probe.cookie = user.cookie;
        return (await probe.post(replica.url, SESSION)).body.data!.session.authenticated === true;
      }));
      expect(live.filter(Boolean)).toHaveLength(20);
      expect((await other.post(replica.url, SESSION)).body.data!.session.authenticated).toBe(true);
    }
  });

  it("keeps no session id and no token in clear in Redis", async () => {
    const user = browser();
    await signIn(user, replicas[0]!, "heidi");
    await user.post(replicas[1]!.url, REFRESH_SESSION);
    const entries = await dumpKeys(redis, keyPrefix);
    expect(entries.some(({ key }) => key.includes(":session:"))).toBe(true);
    for (const { key, value } of entries) {
      expect(key).not.toContain(user.cookie!);
      expect(value.toString("latin1")).not.toContain(user.cookie!);
      expect(value.toString("latin1")).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { dumpKeys, startReplicas } from "../scale/scale-support.js";
import { browser, type Browser, SESSION, SIGN_IN } from "./session-support.js";

/**
 * More sign-ins of one user at once than SESSION_MAX_PER_USER (a double-click with a limit of 1, two
 * tabs, devices on several replicas): each exchange spends its grant before the session takes a slot,
 * so each sign-in is answered a session, never RATE_LIMITED (the grant would be gone, the tokens with
 * it). Once they settle, the limit's number of them are live, the rest displaced as a sign-in past the
 * limit displaces the oldest: signed out on their next request, their records gone from the store.
 */
const SIGN_INS = 6;
const ENV = { SESSION_MODE: "cookie", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" };
let users = 0;

/** Sessions a later sign-in of their user ended (found, removed, identity context forgotten), by /metrics. */
async function displaced(gateway: GatewayProcess): Promise<number> {
  const metrics = await (await fetch(new URL("/metrics", gateway.url))).text();
  return Number(/^idc_gateway_sessions_total\{event="displaced"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

/** SIGN_INS sign-ins of one new user at once (`mint` its assertions, `urls` taken in turn); every one must answer a session and set its cookie. */
async function burst(urls: string[], mint: (sub: string) => Promise<string>): Promise<Browser[]> {
  const sub = `burst-${++users}`;
  const assertions = await Promise.all(Array.from({ length: SIGN_INS }, () => mint(sub)));
  const browsers = assertions.map(() => browser());
  const answers = await Promise.all(browsers.map((user, i) => user.post(urls[i % urls.length]!, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion: assertions[i]! } })));
  for (const answer of answers) expect(answer.body.errors).toBeUndefined();
  for (const user of browsers) expect(user.cookie).toBeDefined();
  return browsers;
}

/** How many of the browsers' cookies lead to a live session on `url` (each asked once: a displaced one is signed out). */
async function liveOn(url: string, browsers: Browser[]): Promise<number> {
  const live = await Promise.all(browsers.map(async (user) => (await user.post(url, SESSION)).body.data!.session.authenticated === true));
  for (const [i, user] of browsers.entries()) if (!live[i]) expect(user.cookie).toBeUndefined();
  return live.filter(Boolean).length;
}

describe.each([1, 2])("one process, SESSION_MAX_PER_USER=%i", (limit) => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({ env: { ...ENV, SESSION_MAX_PER_USER: String(limit) } });
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it(`answers ${SIGN_INS} sign-ins of one user at once a session each; ${limit} stay live, the others are ended by the sign-ins that displaced them`, async () => {
    const emulator = emulatorApi(gateway.emulatorUrl!);
    const displacedBefore = await displaced(gateway);
    const browsers = await burst([gateway.url], (sub) => emulator.mintAssertion({ sub }));
    // Before any lookup: each displaced session was found and ended (its record removed, its identity context forgotten) by the sign-in that took its slot.
    expect((await displaced(gateway)) - displacedBefore).toBe(SIGN_INS - limit);
    expect(await liveOn(gateway.url, browsers)).toBe(limit);
  });
});

const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("session-sign-in-burst");
const redis = rawRedis();

describeNeeding(sharedRedis, "three replicas sharing one Redis, SESSION_MAX_PER_USER=1", () => {
  let emulator: TestEmulator;
  let replicas: GatewayProcess[] = [];
  beforeAll(async () => {
    emulator = await startTestEmulator();
    ({ replicas } = await startReplicas(3, { emulator, redisUrl: SHARED_REDIS_URL, keyPrefix, env: { ...ENV, SESSION_MAX_PER_USER: "1" } }));
  }, 30_000);
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await deleteKeysWithPrefix(redis, keyPrefix);
    await emulator?.stop();
  });

  /** Keys of each session purpose in Redis now. */
  async function keysByPurpose(): Promise<Record<string, number>> {
    const counts: Record<string, number> = { session: 0, "session-lineage": 0, "session-slot": 0 };
    for (const { key } of await dumpKeys(redis, keyPrefix)) {
      const purpose = /idc:v1:([a-z-]+):/.exec(key)?.[1];
      if (purpose !== undefined && purpose in counts) counts[purpose]! += 1;
    }
    return counts;
  }

  it(`answers ${SIGN_INS} sign-ins of one user on three replicas at once a session each; one stays live, Redis holds its keys only`, async () => {
    for (let round = 0; round < 3; round++) {
      const before = await keysByPurpose();
      const browsers = await burst(replicas.map((replica) => replica.url), async (sub) => (await emulator.dev.assertion({ sub, claims: { jti: `${sub}-${Math.random()}` } })).assertion);
      // Before any lookup (which would remove a displaced session it finds): one record, one id key, one slot.
      const after = await keysByPurpose();
      for (const purpose of Object.keys(before)) expect(after[purpose]! - before[purpose]!, purpose).toBe(1);
      for (const replica of replicas) expect(await liveOn(replica.url, browsers.map((user) => Object.assign(browser(), { cookie: user.cookie })))).toBe(1);
    }
  });
});

afterAll(() => {
  redis.disconnect();
});

import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { sleep, startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { dumpKeys, jwtBearer, refresh, startReplicas, type IssuedTokens } from "./scale-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

/**
 * Three real gateway processes on one Redis (one key prefix, one GATEWAY_SECRET), one emulator:
 * the emulator's stats are the upstream calls we assert on, exactly.
 */
const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;

const GRACE_SECONDS = 2;
/** The lock holder's flight is slowed by this much, so it can be killed mid-flight. */
const SLOW_FLIGHT_MS = 1_500;
const keyPrefix = uniqueKeyPrefix("scale-replicas");
const redis = rawRedis();
let emulator: TestEmulator;
let replicas: GatewayProcess[] = [];
/** Every token any gateway handed out or was handed, for the plaintext scan of Redis. */
const issued = new Set<string>();

const calls = async (): Promise<number> => (await emulator.dev.stats()).calls.CreateTokenWithIAM;
let subjects = 0;
const mintAssertion = async (): Promise<string> => {
  const { assertion } = await emulator.dev.assertion({ sub: `storm-${(subjects += 1)}` });
  issued.add(assertion);
  return assertion;
};
function remember(tokens: IssuedTokens): IssuedTokens {
  for (const value of [tokens.accessToken, tokens.refreshToken, tokens.idToken]) if (value) issued.add(value);
  return tokens;
}
const pairOf = (tokens: IssuedTokens) => `${tokens.accessToken}|${tokens.refreshToken}`;

beforeAll(async () => {
  if (!redisReachable) return;
  emulator = await startTestEmulator();
  ({ replicas } = await startReplicas(3, {
    emulator,
    redisUrl: SHARED_REDIS_URL,
    keyPrefix,
    env: { REFRESH_GRACE_SECONDS: String(GRACE_SECONDS), UPSTREAM_TIMEOUT_MS: "3000", UPSTREAM_CONNECT_TIMEOUT_MS: "500", UPSTREAM_MAX_ATTEMPTS: "1" },
  }));
}, 30_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  if (redisReachable) {
    await deleteKeysWithPrefix(redis, keyPrefix);
    await emulator.stop();
  }
  redis.disconnect();
});

async function signIn(): Promise<IssuedTokens> {
  const result = await jwtBearer(replicas[0]!, await mintAssertion());
  expect(result.body.errors).toBeUndefined();
  return remember(result.body.data!.createTokenWithIAM);
}

describeNeeding(sharedRedis, "three gateway replicas on one Redis", () => {
  it("answers 30 concurrent refreshes of one refresh token, spread over the replicas, with one upstream call and the same new pair", async () => {
    const session = await signIn();
    const before = await calls();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => refresh(replicas[i % 3]!, session.refreshToken!)));
    const errors = results.flatMap((result) => result.body.errors ?? []);
    expect(errors).toEqual([]);
    const pairs = new Set(results.map((result) => pairOf(remember(result.body.data!.refreshToken))));
    expect(pairs.size).toBe(1);
    expect([...pairs][0]!.split("|")[1]).not.toBe(session.refreshToken);
    expect((await calls()) - before).toBe(1);
  });

  it("answers 30 concurrent identical JWT-bearer exchanges, spread over the replicas, with one upstream call and the same tokens", async () => {
    const assertion = await mintAssertion();
    const before = await calls();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => jwtBearer(replicas[i % 3]!, assertion)));
    expect(results.flatMap((result) => result.body.errors ?? [])).toEqual([]);
    expect(new Set(results.map((result) => pairOf(remember(result.body.data!.createTokenWithIAM)))).size).toBe(1);
    expect((await calls()) - before).toBe(1);
    // A later identical exchange on any replica is a shared cache hit: still one call.
    const again = await jwtBearer(replicas[2]!, assertion);
    expect(pairOf(again.body.data!.createTokenWithIAM)).toBe(pairOf(results[0]!.body.data!.createTokenWithIAM));
    expect((await calls()) - before).toBe(1);
  });

  it(`serves a rotated refresh token's successor on another replica within REFRESH_GRACE_SECONDS (${GRACE_SECONDS}), and INVALID_GRANT after, without spending an upstream call`, async () => {
    const session = await signIn();
    const rotated = await refresh(replicas[0]!, session.refreshToken!);
    const successor = remember(rotated.body.data!.refreshToken);
    const before = await calls();

    const late = await refresh(replicas[1]!, session.refreshToken!);
    expect(late.body.errors).toBeUndefined();
    expect(late.body.data!.refreshToken).toEqual(successor);
    expect(await calls()).toBe(before);

    await sleep(GRACE_SECONDS * 1000 + 200);
    const tooLate = await refresh(replicas[2]!, session.refreshToken!);
    expect(tooLate.body.data).toBeNull();
    expect(tooLate.body.errors?.map((error) => error.extensions?.code)).toEqual(["INVALID_GRANT"]);
    // The gateway knows the token was rotated: AWS would refuse it, so the gateway does, locally.
    expect(await calls()).toBe(before);
  });

  it("leaves no issued token, assertion or refresh token in plaintext in any Redis key or value", async () => {
    // Fresh entries of every kind (cache, grace successor, flight results) next to everything the storms left.
    const session = await signIn();
    remember((await refresh(replicas[1]!, session.refreshToken!)).body.data!.refreshToken);
    const entries = await dumpKeys(redis, keyPrefix);
    expect(entries.some(({ key }) => key.startsWith(`${keyPrefix}idc:v1:token-cache:`))).toBe(true);
    expect(entries.some(({ key }) => key.startsWith(`${keyPrefix}idc:v1:refresh-successor:`))).toBe(true);
    expect(issued.size).toBeGreaterThan(10);
    const leaks = entries.flatMap(({ key, value }) => {
      const text = `${key}\n${value.toString("latin1")}`;
      return [...issued].filter((secret) => text.includes(secret)).map((secret) => `${key}: ${secret.slice(0, 8)}…`);
    });
    expect(leaks).toEqual([]);
  });

  it("survives the lock holder being SIGKILLed mid-flight: the other replicas answer, with at most one more upstream call", async () => {
    const assertion = await mintAssertion();
    const before = await calls();
    await emulator.dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: SLOW_FLIGHT_MS, count: 1 });
    const leader = replicas[0]!;
    const doomed = jwtBearer(leader, assertion).catch((error: unknown) => error);
    // The leader's call has reached the emulator (and holds the lock) before the followers arrive.
    while ((await calls()) === before) await sleep(10);
    const followers = Promise.all([1, 2, 1, 2].map((i) => jwtBearer(replicas[i]!, assertion)));
    await sleep(100);
    leader.child.kill("SIGKILL");
    await leader.exited;
    const results = await followers;
    await doomed;
    expect(results.flatMap((result) => result.body.errors ?? [])).toEqual([]);
    expect(new Set(results.map((result) => pairOf(remember(result.body.data!.createTokenWithIAM)))).size).toBe(1);
    expect((await calls()) - before).toBeLessThanOrEqual(2);
    expect((await calls()) - before).toBeGreaterThanOrEqual(1);
  }, 20_000);
});

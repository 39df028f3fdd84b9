import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { graphql } from "../../support/gateway-client.js";
import { ACCESS_TOKEN_TYPE, REFRESH_TOKEN_TYPE } from "../../support/gateway-operations.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { jwtBearer, refresh, startReplicas, type IssuedTokens } from "../scale/scale-support.js";
import { LEVEL, linesAt, metricValue, outcomeOf } from "./token-state-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

/**
 * Refresh-token reuse detection (RFC 9700 §4.14.2) on two real gateway replicas sharing one Redis
 * and one emulator: the emulator's stats are the upstream calls, counted exactly.
 */
const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;

const keyPrefix = uniqueKeyPrefix("refresh-reuse");
const redis = rawRedis();
let emulator: TestEmulator;
let replicas: GatewayProcess[] = [];
let subjects = 0;

const calls = async (): Promise<number> => (await emulator.dev.stats()).calls.CreateTokenWithIAM;

beforeAll(async () => {
  if (!redisReachable) return;
  emulator = await startTestEmulator();
  ({ replicas } = await startReplicas(2, { emulator, redisUrl: SHARED_REDIS_URL, keyPrefix, env: { REFRESH_GRACE_SECONDS: "30" } }));
}, 30_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  if (redisReachable) {
    await deleteKeysWithPrefix(redis, keyPrefix);
    await emulator.stop();
  }
  redis.disconnect();
});

async function signIn(replica: GatewayProcess): Promise<IssuedTokens> {
  const { assertion } = await emulator.dev.assertion({ sub: `reuse-${(subjects += 1)}` });
  const result = await jwtBearer(replica, assertion);
  expect(result.body.errors).toBeUndefined();
  return result.body.data!.createTokenWithIAM;
}

async function refreshed(replica: GatewayProcess, refreshToken: string): Promise<IssuedTokens> {
  const result = await refresh(replica, refreshToken);
  expect(outcomeOf(result)).toBe("ok");
  return result.body.data!.refreshToken;
}

describeNeeding(sharedRedis, "refresh-token reuse detection on two replicas", () => {
  it("serves a rotated token's successor to a replay within the window while the successor is unused, with no upstream call", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const session = await signIn(a);
    const first = await refreshed(a, session.refreshToken!);
    const before = await calls();
    const replay = await refreshed(b, session.refreshToken!);
    expect(replay.refreshToken).toBe(first.refreshToken);
    expect(replay.accessToken).toBe(first.accessToken);
    expect((await calls()) - before).toBe(0);
  });

  it("answers INVALID_GRANT to a rotated token presented after its successor was refreshed, and refuses the newest descendant on both replicas, with no upstream call", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const reusesBefore = await metricValue(b, 'idc_gateway_refresh_reuse_total{outcome="reuse"}');
    const session = await signIn(a);
    const first = await refreshed(a, session.refreshToken!);
    const second = await refreshed(a, first.refreshToken!);
    const before = await calls();

    const reuse = await refresh(b, session.refreshToken!);
    expect(reuse.status).toBe(200);
    expect(outcomeOf(reuse)).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(a, second.refreshToken!))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(b, second.refreshToken!))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(b, first.refreshToken!))).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(0);

    expect(await metricValue(b, 'idc_gateway_refresh_reuse_total{outcome="reuse"}')).toBe(reusesBefore + 1);
    const events = linesAt(b, LEVEL.warn).filter((line) => line.event === "refresh_token_reuse");
    expect(events.length).toBeGreaterThanOrEqual(1);
    const logged = JSON.stringify(events);
    for (const secret of [session.refreshToken!, first.refreshToken!, second.refreshToken!, first.accessToken]) expect(logged).not.toContain(secret);
    expect(events.at(-1)!.family).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("a JWT-bearer sign-in's first access token, revoked with its family on one replica, is refused as a TOKEN_EXCHANGE subject on the other, with no upstream call", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const session = await signIn(a);
    const first = await refreshed(a, session.refreshToken!);
    await refreshed(a, first.refreshToken!);
    expect(outcomeOf(await refresh(a, session.refreshToken!))).toBe("INVALID_GRANT"); // reuse: the family is revoked
    const before = await calls();
    const exchange = await graphql(b.url, `mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { refreshToken } }`, {
      input: { grantType: "TOKEN_EXCHANGE", subjectToken: session.accessToken, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: REFRESH_TOKEN_TYPE },
    });
    expect(outcomeOf(exchange)).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(0);
  });

  it("stops serving a cached JWT-bearer answer on every replica once its refresh token was rotated", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const { assertion } = await emulator.dev.assertion({ sub: `reuse-${(subjects += 1)}` });
    const cached = (await jwtBearer(a, assertion)).body.data!.createTokenWithIAM;
    const before = await calls();
    expect((await jwtBearer(b, assertion)).body.data!.createTokenWithIAM).toEqual(cached);
    expect((await jwtBearer(a, assertion)).body.data!.createTokenWithIAM).toEqual(cached);
    expect((await calls()) - before).toBe(0);

    await refreshed(b, cached.refreshToken!);
    for (const replica of [a, b]) {
      const again = await jwtBearer(replica, assertion);
      expect(outcomeOf(again)).toBe("ok");
      expect(again.body.data!.createTokenWithIAM.refreshToken).not.toBe(cached.refreshToken);
    }
  });

  it("serves a cached JWT-bearer answer no longer than the assertion's own exp", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const { assertion } = await emulator.dev.assertion({ sub: `reuse-${(subjects += 1)}`, expiresInSeconds: 2 });
    const cached = await jwtBearer(a, assertion);
    expect(outcomeOf(cached)).toBe("ok");
    expect(outcomeOf(await jwtBearer(b, assertion))).toBe("ok");
    const exp = JSON.parse(Buffer.from(assertion.split(".")[1]!, "base64url").toString("utf8")).exp as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 100));
    for (const replica of [a, b]) {
      const late = await jwtBearer(replica, assertion);
      expect(outcomeOf(late)).toBe("INVALID_GRANT");
      expect(late.text).not.toContain(cached.body.data!.createTokenWithIAM.accessToken);
    }
  });
});

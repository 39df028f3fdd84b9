import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../../support/gateway-client.js";
import { ACCESS_TOKEN_TYPE, REFRESH_TOKEN_TYPE } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { jwtBearer, refresh, replicaEnvironment, startReplicas } from "../scale/scale-support.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { outcomeOf } from "./token-state-support.js";

/**
 * A TOKEN_EXCHANGE of an access token linked to a refresh family (since 2026-12-03 a JWT-bearer sign-in's first
 * one too) issues a refresh token that has a family node: `live`, not `unknown`. The response cache dropped the
 * answer holding a refresh token only when it rotated an `unknown` one, so the exchange's cached answer outlived
 * the rotation of its refresh token: a retry of the same exchange got the spent token, and using it after the
 * token's successor was refreshed is a reuse that revoked the user's whole family (their sign-in included).
 */
const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("exchange-retry");
let emulator: TestEmulator;
let gateway: GatewayProcess | undefined;
let replicas: GatewayProcess[] = [];
let subjects = 0;

const EXCHANGE = `mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken refreshToken } }`;

function tokenExchange(subjectToken: string, at = gateway!) {
  return graphql<{ createTokenWithIAM: { accessToken: string; refreshToken: string | null } }>(at.url, EXCHANGE, {
    input: { grantType: "TOKEN_EXCHANGE", subjectToken, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: REFRESH_TOKEN_TYPE },
  });
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  const env = { ...replicaEnvironment({ emulator, redisUrl: "", keyPrefix: "" }, "exchange-retry-gateway-secret-0123456789abcdef"), REDIS_URL: undefined, REDIS_KEY_PREFIX: undefined, REFRESH_GRACE_SECONDS: "1" };
  gateway = await startGateway({ env });
  if (sharedRedis.missing === undefined) ({ replicas } = await startReplicas(2, { emulator, redisUrl: SHARED_REDIS_URL, keyPrefix, env: { REFRESH_GRACE_SECONDS: "1" } }));
}, 30_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), ...replicas.map((replica) => replica.stop())]);
  if (sharedRedis.missing === undefined) {
    const redis = rawRedis();
    await deleteKeysWithPrefix(redis, keyPrefix);
    redis.disconnect();
  }
  await emulator.stop();
});

describe("a retry of a TOKEN_EXCHANGE after its refresh token was rotated (memory store)", () => {
  it("never hands out the spent refresh token again, and the user's sign-in keeps refreshing", async () => {
    const { assertion } = await emulator.dev.assertion({ sub: `exchange-retry-${(subjects += 1)}` });
    const signedIn = (await jwtBearer(gateway!, assertion)).body.data!.createTokenWithIAM;
    const exchanged = (await tokenExchange(signedIn.accessToken!)).body.data!.createTokenWithIAM;
    const first = (await refresh(gateway!, exchanged.refreshToken!)).body.data!.refreshToken;
    expect(first.refreshToken).toBeDefined();
    // The same exchange again (another tab, a retry): its answer must not be the refresh token rotated moments ago.
    const retried = await tokenExchange(signedIn.accessToken!);
    expect(outcomeOf(retried)).toBe("ok");
    const retriedToken = retried.body.data!.createTokenWithIAM.refreshToken!;
    expect(retriedToken).not.toBe(exchanged.refreshToken);
    // The first holder keeps refreshing; the retry's holder refreshes after the grace window.
    const second = (await refresh(gateway!, first.refreshToken!)).body.data!.refreshToken;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(outcomeOf(await refresh(gateway!, retriedToken))).toBe("ok");
    // Nobody replayed anything: the user's own sign-in and the first holder's chain still refresh.
    expect(outcomeOf(await refresh(gateway!, second.refreshToken!))).toBe("ok");
    expect(outcomeOf(await refresh(gateway!, signedIn.refreshToken!))).toBe("ok");
  });
});

describeNeeding(sharedRedis, "a retry of a TOKEN_EXCHANGE on another replica after its refresh token was rotated (Redis)", () => {
  it("is not answered from either replica's cache with the spent refresh token", async () => {
    const [one, two] = replicas as [GatewayProcess, GatewayProcess];
    const { assertion } = await emulator.dev.assertion({ sub: `exchange-retry-${(subjects += 1)}` });
    const signedIn = (await jwtBearer(one, assertion)).body.data!.createTokenWithIAM;
    const exchanged = (await tokenExchange(signedIn.accessToken!, one)).body.data!.createTokenWithIAM;
    // Both replicas hold the answer in their process-local cache.
    expect((await tokenExchange(signedIn.accessToken!, two)).body.data!.createTokenWithIAM.refreshToken).toBe(exchanged.refreshToken);
    expect(outcomeOf(await refresh(two, exchanged.refreshToken!))).toBe("ok");
    for (const replica of [one, two]) {
      const retried = await tokenExchange(signedIn.accessToken!, replica);
      expect(outcomeOf(retried)).toBe("ok");
      expect(retried.body.data!.createTokenWithIAM.refreshToken).not.toBe(exchanged.refreshToken);
    }
  });
});

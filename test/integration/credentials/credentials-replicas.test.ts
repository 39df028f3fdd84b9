import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { graphql } from "../../support/gateway-client.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { dumpKeys, startReplicas } from "../scale/scale-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

/**
 * Identity-enhanced credentials across three real gateway processes on one Redis: a burst of
 * identical requests spread over the replicas makes one STS AssumeRole (the emulator's stats count
 * it exactly), later requests are cache hits on any replica, and Redis holds nothing readable.
 */
const sharedRedis = await probeSharedRedis();
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const RENEW = `mutation Renew($input: AssumeRoleWithIdentityContextInput!) {
  assumeRoleWithIdentityContext(input: $input) { accessKeyId secretAccessKey sessionToken expiration }
}`;
const keyPrefix = uniqueKeyPrefix("credentials-replicas");
const redis = rawRedis();
let emulator: TestEmulator;
let replicas: GatewayProcess[] = [];

interface Answer {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

beforeAll(async () => {
  if (sharedRedis.missing !== undefined) return;
  emulator = await startTestEmulator();
  ({ replicas } = await startReplicas(3, { emulator, redisUrl: SHARED_REDIS_URL, keyPrefix, env: { DEFAULT_ROLE_ARN: ROLE } }));
}, 30_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  if (sharedRedis.missing === undefined) {
    await deleteKeysWithPrefix(redis, keyPrefix);
    await emulator.stop();
  }
  redis.disconnect();
});

async function identityContextOf(sub: string): Promise<string> {
  const { assertion } = await emulator.dev.assertion({ sub });
  const result = await graphql(replicas[0]!.url, "mutation($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { awsAdditionalDetails { identityContext } } }", { assertion });
  return (result.body.data as { createTokenWithIAM: { awsAdditionalDetails: { identityContext: string } } }).createTokenWithIAM.awsAdditionalDetails.identityContext;
}

async function burst(count: number, identityContext: string): Promise<Answer[]> {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => graphql(replicas[i % replicas.length]!.url, RENEW, { input: { identityContext } })));
  return results.map((result) => {
    expect(result.body.errors).toBeUndefined();
    return (result.body.data as { assumeRoleWithIdentityContext: Answer }).assumeRoleWithIdentityContext;
  });
}

describeNeeding(sharedRedis, "identity-enhanced credentials on three replicas sharing one Redis", () => {
  it("answers 100 concurrent identical credential requests, spread over the replicas, with one STS call and the same credentials", async () => {
    const identityContext = await identityContextOf("storm-user");
    const before = (await emulator.dev.stats()).calls.AssumeRole;
    const answers = await burst(100, identityContext);
    expect(new Set(answers.map((answer) => answer.accessKeyId)).size).toBe(1);
    expect((await emulator.dev.stats()).calls.AssumeRole).toBe(before + 1);

    // Later requests, on every replica, are answered from the shared cache.
    const again = await burst(9, identityContext);
    expect(new Set(again.map((answer) => answer.accessKeyId))).toEqual(new Set([answers[0]!.accessKeyId]));
    expect((await emulator.dev.stats()).calls.AssumeRole).toBe(before + 1);
  });

  it("keeps credentials sealed in Redis: no secret key, session token or identity context in any key or value", async () => {
    const identityContext = await identityContextOf("sealed-user");
    const [answer] = await burst(3, identityContext);
    const secrets = [identityContext, answer!.secretAccessKey, answer!.sessionToken];
    const entries = await dumpKeys(redis, keyPrefix);
    expect(entries.some(({ key }) => key.startsWith(`${keyPrefix}idc:v1:aws-credentials:`))).toBe(true);
    const leaks = entries.flatMap(({ key, value }) => secrets.filter((secret) => `${key}\n${value.toString("latin1")}`.includes(secret)).map(() => key));
    expect(leaks).toEqual([]);
  });
});

import type { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { dataOf, graphql, onlyError, type GraphQLResult } from "../../support/gateway-client.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { findFreePort, rawRedis, startRedisServer, type RedisServerProcess } from "../store/redis-test-support.js";
import { readiness } from "../tokens/token-state-support.js";
import { startCredentialsFixture, type CredentialsFixture } from "./credentials-fixture.js";

/**
 * Redis at maxmemory (noeviction) refuses writes but still answers reads; the gateway serves degraded
 * from process memory. The identity contexts it issued before were recorded in Redis only: read from
 * the stand-in, every one was "not one this gateway issued" (BAD_USER_INPUT) for as long as Redis
 * stayed full (an attacker review of the STS change). They are read through to Redis now, as refresh
 * families are, and credentials still come from them.
 */
const redisServer = probeRedisServerBinary();
let server: RedisServerProcess | undefined;
let admin: Redis | undefined;
let fixture: CredentialsFixture | undefined;

const EXCHANGE = `mutation Exchange($assertion: String!) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { awsAdditionalDetails { identityContext } }
}`;
const RENEW = "mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId } }";
const codeOf = (result: GraphQLResult): string => (result.body.errors === undefined ? "OK" : String(onlyError(result).extensions?.code));

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  server = await startRedisServer(await findFreePort());
  admin = rawRedis(server.url);
  fixture = await startCredentialsFixture({ REDIS_URL: server.url, RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
}, 60_000);

afterAll(async () => {
  await admin?.config("SET", "maxmemory", "0").catch(() => undefined);
  await fixture?.stop();
  admin?.disconnect();
  await server?.stop();
});

describeNeeding(redisServer, "identity-enhanced credentials while Redis refuses writes", () => {
  it("still come from an identity context the gateway issued before Redis filled up", async () => {
    const { gateway, api } = fixture!;
    const exchange = async (sub: string) =>
      (dataOf(await graphql(gateway.url, EXCHANGE, { assertion: await api.mintAssertion({ sub }) })).createTokenWithIAM as { awsAdditionalDetails: { identityContext: string } })
        .awsAdditionalDetails.identityContext;
    const before = await exchange("issued-before-outage");
    expect(codeOf(await graphql(gateway.url, RENEW, { input: { identityContext: before } }))).toBe("OK");

    await admin!.config("SET", "maxmemory-policy", "noeviction");
    await admin!.config("SET", "maxmemory", "1");
    await expect(admin!.set("probe", "x")).rejects.toThrow(/OOM/);
    // A write the full Redis refuses puts the gateway in degraded mode (an exchange records its identity context).
    const during = await exchange("issued-during-outage");
    expect((await readiness(gateway)).body.checks.store!.detail).toMatch(/^degraded: redis refuses writes/);

    // Another duration: not a cached answer, the identity context is verified again.
    expect(codeOf(await graphql(gateway.url, RENEW, { input: { identityContext: before, durationSeconds: 1800 } }))).toBe("OK");
    expect(codeOf(await graphql(gateway.url, RENEW, { input: { identityContext: during } }))).toBe("OK");
    expect(codeOf(await graphql(gateway.url, RENEW, { input: { identityContext: "never-issued" } }))).toBe("BAD_USER_INPUT");
  });
});

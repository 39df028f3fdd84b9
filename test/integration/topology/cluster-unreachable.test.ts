import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../../support/gateway-client.js";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { CREATE_TOKEN_MINIMAL } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { freePort } from "../../support/free-port.js";

/**
 * A gateway whose Redis Cluster cannot be reached answers from process memory, as /readyz says it
 * does. ioredis' Cluster keeps a command it has no node for in an offline queue with no timeout
 * (commandTimeout starts only once a node takes it): with the cluster unreachable, the rate
 * limiter's first command, and the store's while the cluster was "connecting", waited forever, and
 * not one request was answered (`{ __typename }` included; on Node 24 also once every node of a
 * running cluster was killed: cluster-outage.test.ts). src/store/redis-client.ts bounds them.
 */

let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await startGateway({ env: { REDIS_URL: `redis+cluster://127.0.0.1:${await freePort()}`, GATEWAY_SECRET: "cluster-unreachable-test-secret-0123456789abcdef" } });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
});

/** Gives up after 20 s, where the gateway used to answer never. */
const patiently = () => ({ signal: AbortSignal.timeout(20_000) });

describe("a gateway whose Redis Cluster is unreachable", () => {
  it("answers { __typename } (each request waits at most the rate limiter's command timeout)", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(gateway.url, { ...patiently(), method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
      expect(await response.json()).toEqual({ data: { __typename: "Query" } });
    }
  }, 60_000);

  it("exchanges a grant, its state in process memory, and says so in /readyz", async () => {
    const assertion = await emulatorApi(gateway.emulatorUrl!).mintAssertion();
    const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.createTokenWithIAM?.accessToken).toEqual(expect.any(String));
    const readiness = await (await fetch(new URL("/readyz", gateway.url), patiently())).json() as { status: string };
    expect(readiness.status).toBe("degraded");
  }, 60_000);
});

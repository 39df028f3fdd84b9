import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dataOf, graphql, onlyError, type GraphQLResult } from "../../support/gateway-client.js";
import type { EmulatorApi } from "../../support/gateway-emulator-api.js";
import type { GatewayProcess } from "../../support/gateway-process.js";
import type { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { sleep } from "../../support/emulator-harness.js";
import { NO_CONTEXT_ROLE, SHORT_APP, startCredentialsFixture, type CredentialsFixture } from "./credentials-fixture.js";

/**
 * STS's AssumeRole quota is the AWS account's (600/s per account and Region, shared with everything
 * else on the account's credentials): callers each inside their own upstream budget must not spend it
 * together, nor by asking again what STS already refused, nor by the SDK answering a throttle with
 * more calls. A real gateway process behind a stand-in proxy (TRUST_PROXY=1: each request names its
 * caller in X-Forwarded-For), the real AWS SDK, the emulator's STS over real HTTP; the emulator's
 * stats count every AssumeRole.
 */

const STS_PER_SECOND = 3;

const EXCHANGE = `mutation Exchange($assertion: String!, $clientId: String) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion, clientId: $clientId }) { awsAdditionalDetails { identityContext } }
}`;
const EXCHANGE_WITH_REFRESH = `mutation Exchange($assertion: String!, $clientId: String) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion, clientId: $clientId }) { refreshToken awsAdditionalDetails { identityContext } }
}`;
const REFRESH = `mutation Refresh($refreshToken: String!, $clientId: String) {
  refreshToken(input: { refreshToken: $refreshToken, clientId: $clientId }) { awsAdditionalDetails { identityContext } }
}`;
const RENEW = "mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId } }";

let fixture: CredentialsFixture;
let gateway: GatewayProcess;
let api: EmulatorApi;
let dev: EmulatorDevApi;
/** Every request comes from an address of its own unless a test names one: no caller budget is shared by accident. */
let nextAddress = 1;
const freshAddress = () => `10.20.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

beforeAll(async () => {
  fixture = await startCredentialsFixture({
    TRUST_PROXY: "1",
    // Each caller: one upstream call a second, no burst. The application's limit is not what these tests measure.
    RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
    RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "1", RATE_LIMIT_CALLER_UPSTREAM_BURST: "0",
    RATE_LIMIT_STS_PER_SECOND: String(STS_PER_SECOND),
  });
  ({ gateway, api, dev } = fixture);
}, 60_000);

afterEach(async () => {
  await dev.clearFaults();
  fixture.setClockOffset(0);
  // A fresh one-second window of the gateway-wide STS budget for the next test.
  await sleep(1_100);
});

afterAll(async () => {
  await fixture?.stop();
});

const assumeRoleCalls = (): Promise<number> => fixture.assumeRoleCalls();
const from = (address: string) => ({ headers: { "x-forwarded-for": address } });

/** A signed-in user's identity context (the exchange selects no credentials: no STS call). */
async function identityContextOf(sub: string, clientId?: string): Promise<string> {
  const assertion = await api.mintAssertion({ sub });
  const result = await graphql(gateway.url, EXCHANGE, { assertion, ...(clientId ? { clientId } : {}) }, from(freshAddress()));
  return (dataOf(result).createTokenWithIAM as { awsAdditionalDetails: { identityContext: string } }).awsAdditionalDetails.identityContext;
}

function renew(input: Record<string, unknown>, address: string): Promise<GraphQLResult> {
  return graphql(gateway.url, RENEW, { input }, from(address));
}

const codeOf = (result: GraphQLResult): string => (result.body.errors === undefined ? "OK" : String(onlyError(result).extensions?.code));

describe("RATE_LIMIT_STS_PER_SECOND: one STS budget for the whole gateway", () => {
  it("refuses AssumeRole calls over it with RATE_LIMITED naming the variable, while each caller stays inside its own budget", async () => {
    const contexts = await Promise.all(["quota-1", "quota-2", "quota-3", "quota-4", "quota-5"].map((sub) => identityContextOf(sub)));
    await sleep(1_100);
    const before = await assumeRoleCalls();
    // Five callers, one request each (their budget is one a second), five distinct requests: none a cache hit.
    const results = await Promise.all(contexts.map((identityContext) => renew({ identityContext }, freshAddress())));
    const codes = results.map(codeOf);
    expect(codes.filter((code) => code === "OK")).toHaveLength(STS_PER_SECOND);
    expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(contexts.length - STS_PER_SECOND);
    const refusal = onlyError(results.find((result) => codeOf(result) === "RATE_LIMITED")!);
    expect(refusal.message).toMatch(/over RATE_LIMIT_STS_PER_SECOND=3\); retry after 1 s\.$/);
    expect(refusal.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 1 });
    expect(await assumeRoleCalls()).toBe(before + STS_PER_SECOND);

    const metrics = await (await fetch(new URL("/metrics", gateway.url))).text();
    expect(metrics).toMatch(/^idc_gateway_rejections_total\{reason="rate_limited_sts"\} 2$/m);
  });

  it("refused moments ago, refuses a caller's next requests without spending the caller's own budget", async () => {
    const contexts = await Promise.all(["spent-1", "spent-2", "spent-3", "spent-4", "victim-1", "victim-2"].map((sub) => identityContextOf(sub)));
    await sleep(1_100);
    // Four callers: three spend the second's STS budget, the fourth is refused by it.
    const spenders = await Promise.all(contexts.slice(0, 4).map((identityContext) => renew({ identityContext }, freshAddress())));
    expect(spenders.map(codeOf).sort()).toEqual(["OK", "OK", "OK", "RATE_LIMITED"]);
    // The victim's budget is one a second: spent by the first refusal, its second request would name the caller's own limit.
    const victim = freshAddress();
    for (const identityContext of contexts.slice(4)) {
      const refused = await renew({ identityContext }, victim);
      expect(onlyError(refused).message).toMatch(/over RATE_LIMIT_STS_PER_SECOND=3\)/);
    }
  });

  it("is not spent by cache hits: a context's credentials asked again by other callers cost no STS call", async () => {
    const identityContext = await identityContextOf("quota-cached");
    await sleep(1_100);
    const before = await assumeRoleCalls();
    const codes = [];
    for (let n = 0; n < STS_PER_SECOND + 2; n++) codes.push(codeOf(await renew({ identityContext }, freshAddress())));
    expect(codes).toEqual(Array.from({ length: STS_PER_SECOND + 2 }, () => "OK"));
    expect(await assumeRoleCalls()).toBe(before + 1);
  });
});

describe("final STS refusals are remembered per request for a short while", () => {
  it("answers 4 callers asking credentials for a role STS refuses with ACCESS_DENIED from 1 AssumeRole, spending no budget on the repeats", async () => {
    const identityContext = await identityContextOf("refused-role");
    const before = await assumeRoleCalls();
    const addresses = [freshAddress(), freshAddress(), freshAddress(), freshAddress()];
    const errors = [];
    for (const address of addresses) errors.push(onlyError(await renew({ identityContext, roleArn: NO_CONTEXT_ROLE }, address)));
    // The first caller again, at once: its budget (1/s, no burst) went on the first call, yet it gets STS's answer, not RATE_LIMITED.
    errors.push(onlyError(await renew({ identityContext, roleArn: NO_CONTEXT_ROLE }, addresses[0]!)));
    for (const error of errors) {
      expect(error.extensions).toMatchObject({ code: "ACCESS_DENIED", awsException: "AccessDenied" });
      expect(error.message).toBe(errors[0]!.message);
    }
    expect(await assumeRoleCalls()).toBe(before + 1);
  });

  it("does not remember EXPIRED_TOKEN: once a refresh gives the identity context a new life, credentials come from it at once", async () => {
    const assertion = await api.mintAssertion({ sub: "expired-then-refreshed" });
    const signedIn = dataOf(await graphql(gateway.url, EXCHANGE_WITH_REFRESH, { assertion, clientId: SHORT_APP }, from(freshAddress()))).createTokenWithIAM as {
      refreshToken: string; awsAdditionalDetails: { identityContext: string };
    };
    const { identityContext } = signedIn.awsAdditionalDetails;
    fixture.setClockOffset(61_000);
    expect(codeOf(await renew({ identityContext, durationSeconds: 1500 }, freshAddress()))).toBe("EXPIRED_TOKEN");

    const refreshed = dataOf(await graphql(gateway.url, REFRESH, { refreshToken: signedIn.refreshToken, clientId: SHORT_APP }, from(freshAddress()))).refreshToken as {
      awsAdditionalDetails: { identityContext: string };
    };
    expect(refreshed.awsAdditionalDetails.identityContext).toBe(identityContext);
    const before = await assumeRoleCalls();
    expect(codeOf(await renew({ identityContext, durationSeconds: 1500 }, freshAddress()))).toBe("OK");
    expect(await assumeRoleCalls()).toBe(before + 1);
  });

  it("remembers per request: the same identity context with another role still reaches STS", async () => {
    const identityContext = await identityContextOf("refused-then-allowed");
    expect(codeOf(await renew({ identityContext, roleArn: NO_CONTEXT_ROLE }, freshAddress()))).toBe("ACCESS_DENIED");
    const before = await assumeRoleCalls();
    expect(codeOf(await renew({ identityContext }, freshAddress()))).toBe("OK");
    expect(await assumeRoleCalls()).toBe(before + 1);
  });

  it("does not remember a failure STS may not repeat: after UPSTREAM_SERVER_ERROR the next request reaches STS and succeeds", async () => {
    const identityContext = await identityContextOf("transient");
    await dev.addFault({ operation: "AssumeRole", exception: "InternalFailure", count: 3 });
    expect(codeOf(await renew({ identityContext }, freshAddress()))).toBe("UPSTREAM_SERVER_ERROR");
    const before = await assumeRoleCalls();
    expect(codeOf(await renew({ identityContext }, freshAddress()))).toBe("OK");
    expect(await assumeRoleCalls()).toBe(before + 1);
  });
});

describe("STS throttling", () => {
  it("answers a throttled AssumeRole with SLOW_DOWN after 1 call (no retry into the account's quota), and does not remember it", async () => {
    const identityContext = await identityContextOf("throttled");
    await dev.addFault({ operation: "AssumeRole", exception: "Throttling", count: 1 });
    const before = await assumeRoleCalls();
    const error = onlyError(await renew({ identityContext }, freshAddress()));
    expect(error.extensions).toMatchObject({ code: "SLOW_DOWN", awsException: "Throttling" });
    expect(error.message).toBe("Too many requests to STS; slow down.");
    expect(await assumeRoleCalls()).toBe(before + 1);
    // A throttle is not final: the next request reaches STS and succeeds.
    expect(codeOf(await renew({ identityContext }, freshAddress()))).toBe("OK");
    expect(await assumeRoleCalls()).toBe(before + 2);
  });
});

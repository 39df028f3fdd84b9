import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_APPLICATION_ARN, startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { dataOf, graphql } from "../../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { eventually, findFreePort, startRedisServer, type RedisServerProcess } from "../store/redis-test-support.js";
import { browser, codeOf, SESSION, SIGN_IN } from "./session-support.js";

/**
 * A session sign-in with a refresh token whose session Redis stops taking during its exchange, for
 * longer than the save's retries and the grace window. The refresh token is spent at AWS; the README
 * promised "a refresh token's retry gets its successor from the grace window", which holds only for
 * an outage shorter than REFRESH_GRACE_SECONDS: after a longer one (a review: 1 s of grace here, 30 s
 * by default, against a Redis that hung for longer), the retry met its spent token (INVALID_GRANT)
 * and the sign-in was lost for good. Its answer is now kept like an authorization code's.
 */
const redisServer = probeRedisServerBinary();
let redis: RedisServerProcess | undefined;
let upstream: RunningEmulator;
let gateway: GatewayProcess;
let tokenGateway: GatewayProcess;
let emulator: EmulatorApi;

const EXCHANGE = `mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { refreshToken } }`;

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  redis = await startRedisServer(await findFreePort());
  upstream = await startEmulator({ port: 0, config: { applications: [{ clientId: DEFAULT_APPLICATION_ARN }] } });
  emulator = emulatorApi(upstream.url);
  const toEmulator = {
    SSO_OIDC_ENDPOINT: upstream.url, AWS_REGION: upstream.region,
    AWS_ACCESS_KEY_ID: upstream.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: upstream.credentials.secretAccessKey,
    RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
  };
  // Token mode, to hand the test a refresh token (session mode never shows one).
  tokenGateway = await startGateway({ env: toEmulator });
  gateway = await startGateway({
    env: { ...toEmulator, SESSION_MODE: "cookie", REDIS_URL: redis.url, REFRESH_GRACE_SECONDS: "1", GATEWAY_SECRET: "session-refresh-sign-in-outage-0123456789abcdef" },
  });
}, 30_000);
afterAll(async () => {
  redis?.resume();
  await gateway?.stop();
  await tokenGateway?.stop();
  await upstream?.stop();
  await redis?.stop();
});

describeNeeding(redisServer, "a refresh-token sign-in whose session Redis stops taking during its exchange", () => {
  it("keeps the refresh's answer past the grace window: the retry with the same refresh token signs in, with no second call to AWS", async () => {
    const assertion = await emulator.mintAssertion({ sub: "wanda" });
    const issued = dataOf(await graphql<{ createTokenWithIAM: { refreshToken: string } }>(tokenGateway.url, EXCHANGE, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } }));
    const input = { grantType: "REFRESH_TOKEN", refreshToken: issued.createTokenWithIAM.refreshToken };
    const before = await emulator.createTokenWithIAMCalls();
    const user = browser();
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 800, count: 1 });
    try {
      const signingIn = user.post(gateway.url, SIGN_IN, { input });
      // Redis stops after the pre-exchange probe, while AWS answers: no session write for ~3.9 s of retries, and the grace window (1 s) ends meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      redis!.pause();
      const refused = await signingIn;
      expect(codeOf(refused)).toBe("SESSION_STORE_UNAVAILABLE");
      expect(refused.body.errors![0]!.extensions!.retryable).toBe(true);
    } finally {
      redis!.resume();
      await emulator.clearFaults();
    }
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
    // The client retries the same operation (SESSION_STORE_UNAVAILABLE is retryable), backing off past the grace window: a
    // hung Redis runs the commands it was sent once it answers again, the grace successor's write among them (1 s from then).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const codes: string[] = [];
    await eventually("signed in by the retry", async () => {
      const answer = await user.post(gateway.url, SIGN_IN, { input });
      codes.push(answer.body.errors === undefined ? "ok" : codeOf(answer));
      return answer.body.errors === undefined;
    }, 15_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; the retries answered ${[...new Set(codes)].join(", ")}`);
    });
    expect((await user.post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true });
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
  }, 40_000);
});

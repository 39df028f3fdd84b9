import { afterAll, beforeAll, expect, it } from "vitest";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { REDIRECT_URI } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { eventually, findFreePort, rawRedis, startRedisServer, type RedisServerProcess } from "../store/redis-test-support.js";
import { browser, codeOf, REFRESH_SESSION, SESSION, SIGN_IN, SIGN_OUT, SIGN_OUT_EVERYWHERE } from "./session-support.js";

/**
 * Sessions while Redis does not answer: never "signed out". The token store serves from process
 * memory through an outage, which would read every session as absent and clear every browser's
 * cookie; sessions have a store of their own that says SESSION_STORE_UNAVAILABLE (retryable), keeps
 * the cookie, refuses to pretend a sign-out worked, and serves the same session once Redis answers.
 */
const redisServer = probeRedisServerBinary();
let redis: RedisServerProcess | undefined;
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  redis = await startRedisServer(await findFreePort());
  gateway = await startGateway({ env: { SESSION_MODE: "cookie", REDIS_URL: redis.url, GATEWAY_SECRET: "session-store-outage-secret-0123456789abcdef" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 30_000);
afterAll(async () => {
  redis?.resume();
  await gateway?.stop();
  await redis?.stop();
});

describeNeeding(redisServer, "session mode while Redis hangs", () => {
  it("answers SESSION_STORE_UNAVAILABLE and keeps the cookie while Redis hangs, then serves the same session", async () => {
    const user = browser();
    const assertion = await emulator.mintAssertion({ sub: "olivia" });
    expect((await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } })).body.errors).toBeUndefined();
    const cookie = user.cookie;
    redis!.pause();
    try {
      for (const operation of [SESSION, REFRESH_SESSION, SIGN_OUT, SIGN_OUT_EVERYWHERE]) {
        const answer = await user.post(gateway.url, operation);
        expect(codeOf(answer)).toBe("SESSION_STORE_UNAVAILABLE");
        expect(answer.body.errors![0]!.extensions!.retryable).toBe(true);
        expect(answer.setCookie).toBeNull();
      }
    } finally {
      redis!.resume();
    }
    expect(user.cookie).toBe(cookie);
    expect((await user.post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true, subject: "olivia" });
  });

  it("says degraded on /readyz while the sessions' store does not answer, and stays in rotation (200); ready again once it answers", async () => {
    const readyz = async () => {
      const response = await fetch(gateway.url.replace(/\/graphql$/, "/readyz"));
      return { code: response.status, body: (await response.json()) as { status: string; checks: Record<string, { ok: boolean; detail: string }> } };
    };
    const before = await readyz();
    expect(before).toMatchObject({ code: 200, body: { status: "ready", checks: { sessions: { ok: true } } } });
    redis!.pause();
    try {
      await eventually("sessions reported down", async () => (await readyz()).body.checks.sessions?.ok === false, 15_000);
      const during = await readyz();
      expect(during.code).toBe(200);
      expect(during.body.status).toBe("degraded");
    } finally {
      redis!.resume();
    }
    await eventually("ready again", async () => (await readyz()).body.status === "ready", 15_000);
    expect((await readyz()).body.checks.sessions).toMatchObject({ ok: true });
  });

  it("refuses a sign-in while Redis hangs before its exchange runs: the authorization code is not spent and signs in afterwards", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "peggy", codeChallenge, codeChallengeMethod: "S256" });
    const input = { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier, scope: ["openid"] };
    const before = await emulator.createTokenWithIAMCalls();
    redis!.pause();
    try {
      const refused = await browser().post(gateway.url, SIGN_IN, { input });
      expect(codeOf(refused)).toBe("SESSION_STORE_UNAVAILABLE");
      expect(refused.setCookie).toBeNull();
    } finally {
      redis!.resume();
    }
    expect(await emulator.createTokenWithIAMCalls()).toBe(before);
    const user = browser();
    expect((await user.post(gateway.url, SIGN_IN, { input })).body.errors).toBeUndefined();
    expect((await user.post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true, subject: "peggy" });
  });

  it("refuses a sign-in while Redis answers reads but refuses writes (out of memory) before its exchange runs: the code is not spent and signs in afterwards", async () => {
    // A full Redis (maxmemory, noeviction) answered the old read probe: the exchange spent the code, then the session write failed.
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "quentin", codeChallenge, codeChallengeMethod: "S256" });
    const input = { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier, scope: ["openid"] };
    const before = await emulator.createTokenWithIAMCalls();
    const admin = rawRedis(redis!.url);
    try {
      await admin.config("SET", "maxmemory", "1");
      const refused = await browser().post(gateway.url, SIGN_IN, { input });
      expect(codeOf(refused)).toBe("SESSION_STORE_UNAVAILABLE");
      expect(refused.setCookie).toBeNull();
    } finally {
      await admin.config("SET", "maxmemory", "0");
      admin.disconnect();
    }
    expect(await emulator.createTokenWithIAMCalls()).toBe(before);
    const user = browser();
    await eventually("signed in once Redis takes writes", async () => (await user.post(gateway.url, SIGN_IN, { input })).body.errors === undefined, 10_000);
    expect((await user.post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true, subject: "quentin" });
  });

  it("keeps a code's answer when Redis hangs during its exchange for longer than the save's retries: the retry with the same code signs in, with no second call to AWS", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "rosa", codeChallenge, codeChallengeMethod: "S256" });
    const input = { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier, scope: ["openid"] };
    const before = await emulator.createTokenWithIAMCalls();
    const user = browser();
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 800, count: 1 });
    try {
      const signingIn = user.post(gateway.url, SIGN_IN, { input });
      // Redis stops after the pre-exchange probe, while AWS answers: the session cannot be written for ~3.9 s of retries and more.
      await new Promise((resolve) => setTimeout(resolve, 300));
      redis!.pause();
      const refused = await signingIn;
      expect(codeOf(refused)).toBe("SESSION_STORE_UNAVAILABLE");
      expect(refused.body.errors![0]!.extensions!.retryable).toBe(true);
      expect(refused.setCookie).toBeNull();
    } finally {
      redis!.resume();
      await emulator.clearFaults();
    }
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
    // The client retries the same operation (SESSION_STORE_UNAVAILABLE is retryable): the code's answer was kept for it.
    await eventually("signed in by the retry", async () => (await user.post(gateway.url, SIGN_IN, { input })).body.errors === undefined, 15_000);
    expect((await user.post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true, subject: "rosa" });
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
  }, 30_000);
});

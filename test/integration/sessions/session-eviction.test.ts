import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, SESSION, SESSION_COOKIE, SIGN_IN, SIGN_OUT } from "./session-support.js";

/**
 * In one process (no REDIS_URL) sessions live in an LRU of CACHE_MAX_ENTRIES. A sign-out marks the id
 * it was given before it looks the session up, so a sign-out with a made-up cookie, which costs no
 * grant and no upstream call, wrote a mark there, and each mark pushed out the least recently used
 * live session: one caller at its request allowance signed out every session idle for ~7 minutes
 * (an attacker's review). Marks now have a store of their own.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  // A small store (40 entries: 20 sessions), so the flood that fills it many times over is quick.
  gateway = await startGateway({ env: { SESSION_MODE: "cookie", CACHE_MAX_ENTRIES: "40", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});

describe("sign-outs with made-up cookies", () => {
  it("sign no one else out: 400 of them against a store of 40 entries leave an idle session signed in", async () => {
    const victim = browser();
    const assertion = await emulator.mintAssertion({ sub: "victim" });
    const signedIn = await victim.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion } });
    expect(signedIn.body.errors).toBeUndefined();
    expect(victim.cookie).toBeDefined();

    for (let i = 0; i < 400; i++) {
      const attacker = browser();
      const answer = await attacker.post(gateway.url, SIGN_OUT, {}, { cookie: `${SESSION_COOKIE}=${randomBytes(32).toString("base64url")}` });
      expect(answer.body.errors).toBeUndefined();
    }

    const session = await victim.post(gateway.url, SESSION);
    expect(session.body.data).toMatchObject({ session: { authenticated: true, subject: "victim" } });
  });
});

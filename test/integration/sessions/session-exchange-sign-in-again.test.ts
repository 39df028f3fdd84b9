import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { ACCESS_TOKEN_TYPE, REFRESH_TOKEN_TYPE } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, codeOf, REFRESH_SESSION, SESSION, SIGN_IN } from "./session-support.js";

/**
 * Session mode, a sign-in by TOKEN_EXCHANGE of an access token the gateway linked to a refresh family (since
 * 2026-12-03 a JWT-bearer sign-in's first one too): its answer's refresh token has a family node (live), and the
 * response cache dropped the answer holding a refresh token only when it rotated an unknown one. A browser that
 * refreshed its session and then signed in again with the same subject token (a reload of the hand-off page) got
 * the cached answer, whose refresh token was spent: its next refreshSession ended the session (INVALID_GRANT).
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;
const GRACE_MS = 1_000;

beforeAll(async () => {
  gateway = await startGateway({
    env: { SESSION_MODE: "cookie", SESSION_EXPOSE: "accessToken", REFRESH_GRACE_SECONDS: String(GRACE_MS / 1000), RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});

describe("signing in again by the same token exchange after the session refreshed", () => {
  it("starts a session whose refresh works", async () => {
    const first = browser();
    await first.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub: "exchange-again" }) } });
    const subjectToken = (await first.post(gateway.url, SESSION)).body.data!.session.accessToken as string;
    expect(subjectToken).toEqual(expect.any(String));

    const handedOff = browser();
    const exchange = { input: { grantType: "TOKEN_EXCHANGE", subjectToken, subjectTokenType: ACCESS_TOKEN_TYPE, requestedTokenType: REFRESH_TOKEN_TYPE } };
    expect((await handedOff.post(gateway.url, SIGN_IN, exchange)).body.errors).toBeUndefined();
    expect((await handedOff.post(gateway.url, REFRESH_SESSION)).body.data!.refreshSession.authenticated).toBe(true);
    // The hand-off page reloaded: the same exchange signs in again, ending the session the browser had.
    expect((await handedOff.post(gateway.url, SIGN_IN, exchange)).body.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));

    const refreshed = await handedOff.post(gateway.url, REFRESH_SESSION);
    expect(refreshed.body.errors === undefined ? "ok" : codeOf(refreshed)).toBe("ok");
    expect((await handedOff.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(true);
    // The first browser's own session still refreshes.
    expect((await first.post(gateway.url, REFRESH_SESSION)).body.data?.refreshSession?.authenticated).toBe(true);
  });
});

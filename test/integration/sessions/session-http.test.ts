import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPkcePair, emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { REDIRECT_URI } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, codeOf, REFRESH_SESSION, SESSION, SIGN_IN, SIGN_OUT, SIGN_OUT_EVERYWHERE, type Browser } from "./session-support.js";

/**
 * Session mode (SESSION_MODE=cookie) over real HTTP against a real gateway process and its embedded
 * emulator: the cookie a browser gets, what page scripts can read, the CSRF rules, and how refresh
 * failures end or keep a session. Chromium tests (test/browser/session-*) prove the same in a browser.
 */
const APP_ORIGIN = "https://app.example";
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({ env: { SESSION_MODE: "cookie", CORS_ORIGINS: APP_ORIGIN, RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});
beforeEach(async () => {
  await emulator.clearFaults();
});

async function signIn(user: Browser, sub = "alice"): Promise<void> {
  const assertion = await emulator.mintAssertion({ sub });
  const answer = await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } });
  expect(answer.body.errors).toBeUndefined();
}

describe("signing in", () => {
  it("sets one host-only cookie: __Host-idc_session, HttpOnly, Secure, SameSite=Strict, Path=/, until the absolute expiry", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const answer = await browser().post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion } });
    expect(answer.setCookie).toMatch(/^__Host-idc_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(answer.setCookie).not.toMatch(/domain=/i);
  });

  it("shows page scripts no token: refreshToken, accessToken, idToken and the identity context are null, the claims carry no credential", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const answer = await browser().post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } });
    expect(answer.body.data!.createTokenWithIAM).toEqual({
      accessToken: null, refreshToken: null, idToken: null, awsAdditionalDetails: null, expiresAt: expect.any(String),
      idTokenClaims: { subject: "alice", identityContext: null },
    });
    // The refresh token stayed in the session, which can renew itself.
    const canRefresh = await browser().post(gateway.url, "mutation($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { canRefresh refreshToken } }", {
      input: { grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub: "alice" }) },
    });
    expect(canRefresh.body.data!.createTokenWithIAM).toEqual({ canRefresh: true, refreshToken: null });
    // Nothing JWT-shaped (an id token, or the identity context, which is one) anywhere in the body.
    expect(answer.text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it("refuses a sign-in without x-idc-csrf before spending the grant: the same authorization code then signs in", async () => {
    const { codeVerifier, codeChallenge } = createPkcePair();
    const code = await emulator.authorize({ redirectUri: REDIRECT_URI, sub: "carol", codeChallenge, codeChallengeMethod: "S256" });
    const input = { grantType: "AUTHORIZATION_CODE", code, redirectUri: REDIRECT_URI, codeVerifier, scope: ["openid"] };
    const before = await emulator.createTokenWithIAMCalls();
    const refused = await browser({ csrf: false }).post(gateway.url, SIGN_IN, { input });
    expect(codeOf(refused)).toBe("FORBIDDEN");
    expect(refused.body.errors![0]!.extensions!.field).toBe("x-idc-csrf");
    expect(refused.setCookie).toBeNull();
    expect(await emulator.createTokenWithIAMCalls()).toBe(before);
    const accepted = await browser().post(gateway.url, SIGN_IN, { input });
    expect(accepted.body.errors).toBeUndefined();
    expect(accepted.setCookie).toMatch(/^__Host-idc_session=/);
  });
});

describe("the session", () => {
  it("answers who is signed in, when the tokens expire and when the session ends, and never a token", async () => {
    const user = browser();
    await signIn(user);
    const answer = await user.post(gateway.url, SESSION);
    const session = answer.body.data!.session;
    expect(session).toMatchObject({
      authenticated: true, subject: "alice", scope: ["openid", "sts:identity_context"], canRefresh: true, accessToken: null, idToken: null,
      idTokenClaims: { subject: "alice", identityContext: null },
    });
    expect(session.idTokenClaims.raw).not.toHaveProperty("sts:identity_context");
    expect(Date.parse(session.absoluteExpiresAt) - Date.parse(session.signedInAt)).toBe(28_800_000);
    expect(Date.parse(session.idleExpiresAt)).toBeGreaterThan(Date.parse(session.signedInAt));
    expect(answer.text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it("returns the user's identity-enhanced AWS credentials from the session, the identity context never leaving the gateway", async () => {
    const user = browser();
    await signIn(user, "ivan");
    const answer = await user.post(gateway.url, "{ session { subject awsCredentials(durationSeconds: 900) { accessKeyId assumedRoleArn secondsRemaining } } }");
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data!.session).toEqual({
      subject: "ivan",
      awsCredentials: { accessKeyId: expect.stringMatching(/^ASIA/), assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idcgw-apl-222222222222", secondsRemaining: expect.any(Number) },
    });
    expect(answer.text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    expect((await browser().post(gateway.url, "{ session { authenticated awsCredentials { accessKeyId } } }")).body.data!.session).toEqual({ authenticated: false, awsCredentials: null });
  });

  it("answers authenticated: false without a session, and for a cookie the gateway does not know (clearing it)", async () => {
    expect((await browser().post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: false, subject: null, expiresAt: null });
    const stale = browser();
    stale.cookie = "A".repeat(43);
    const answer = await stale.post(gateway.url, SESSION);
    expect(answer.body.data!.session.authenticated).toBe(false);
    expect(answer.setCookie).toMatch(/^__Host-idc_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict$/);
  });

  it("refuses every session operation without x-idc-csrf: 1, naming the header, and leaves the session as it was", async () => {
    const user = browser();
    await signIn(user);
    for (const operation of [SESSION, REFRESH_SESSION, SIGN_OUT, SIGN_OUT_EVERYWHERE]) {
      const refused = await user.post(gateway.url, operation, {}, { "x-idc-csrf": "yes" });
      expect(codeOf(refused)).toBe("FORBIDDEN");
      expect(refused.body.errors![0]!.extensions!.field).toBe("x-idc-csrf");
      expect(refused.setCookie).toBeNull();
    }
    expect((await user.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(true);
  });

  it("refuses an Origin outside CORS_ORIGINS, and serves a listed one and the gateway's own", async () => {
    const user = browser();
    await signIn(user);
    const foreign = await user.post(gateway.url, SESSION, {}, { origin: "https://evil.example" });
    expect(codeOf(foreign)).toBe("FORBIDDEN");
    expect(foreign.body.errors![0]!.extensions!.field).toBe("origin");
    expect((await user.post(gateway.url, SESSION, {}, { origin: "null" })).body.errors![0]!.extensions!.code).toBe("FORBIDDEN");
    expect((await user.post(gateway.url, SESSION, {}, { origin: APP_ORIGIN })).body.data!.session.authenticated).toBe(true);
    expect((await user.post(gateway.url, SESSION, {}, { origin: new URL(gateway.url).origin })).body.data!.session.authenticated).toBe(true);
  });

  it("allows credentialed CORS for a listed origin only", async () => {
    const preflight = (origin: string) => fetch(gateway.url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-idc-csrf" },
    });
    const listed = await preflight(APP_ORIGIN);
    expect(listed.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(listed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(listed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-idc-csrf");
    const unlisted = await preflight("https://evil.example");
    expect(unlisted.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("refreshSession", () => {
  it("renews the tokens on the server and rotates the cookie; the old cookie leads to the new session for the grace window", async () => {
    const user = browser();
    await signIn(user);
    const oldCookie = user.cookie!;
    const before = await emulator.createTokenWithIAMCalls();
    const answer = await user.post(gateway.url, REFRESH_SESSION);
    expect(answer.body.data!.refreshSession).toMatchObject({ authenticated: true, subject: "alice", accessToken: null, idToken: null });
    expect(user.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(user.cookie).not.toBe(oldCookie);
    expect(await emulator.createTokenWithIAMCalls()).toBe(before + 1);
    const lateTab = browser();
    lateTab.cookie = oldCookie;
    expect((await lateTab.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(true);
    expect(lateTab.cookie).toBe(user.cookie);
  });

  it("ends the session when Identity Center refuses the refresh token (INVALID_GRANT), clearing the cookie", async () => {
    const user = browser();
    await signIn(user);
    await emulator.addFault({ operation: "CreateTokenWithIAM", exception: "InvalidGrantException", count: 1 });
    const answer = await user.post(gateway.url, REFRESH_SESSION);
    expect(codeOf(answer)).toBe("INVALID_GRANT");
    expect(answer.setCookie).toMatch(/Max-Age=0/);
    expect(user.cookie).toBeUndefined();
    expect(answer.text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it("keeps the session when Identity Center fails for a moment (UPSTREAM_SERVER_ERROR), and the next refresh works", async () => {
    const user = browser();
    await signIn(user);
    const cookie = user.cookie;
    await emulator.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 3 });
    const failed = await user.post(gateway.url, REFRESH_SESSION);
    expect(codeOf(failed)).toBe("UPSTREAM_SERVER_ERROR");
    expect(failed.setCookie).toBeNull();
    expect(user.cookie).toBe(cookie);
    await emulator.clearFaults();
    expect((await user.post(gateway.url, REFRESH_SESSION)).body.data!.refreshSession.authenticated).toBe(true);
  });

  it("answers UNAUTHENTICATED without a session", async () => {
    expect(codeOf(await browser().post(gateway.url, REFRESH_SESSION))).toBe("UNAUTHENTICATED");
  });
});

describe("signing out", () => {
  it("signOut ends the session and clears the cookie; the old cookie then finds nothing", async () => {
    const user = browser();
    await signIn(user);
    const cookie = user.cookie;
    const answer = await user.post(gateway.url, SIGN_OUT);
    expect(answer.body.data!.signOut).toBe(true);
    expect(answer.setCookie).toMatch(/^__Host-idc_session=; Max-Age=0;/);
    const replay = browser();
    replay.cookie = cookie;
    expect((await replay.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(false);
  });

  it("signOutEverywhere ends the user's sessions in every browser and leaves other users signed in", async () => {
    const [laptop, phone, bob] = [browser(), browser(), browser()];
    await signIn(laptop, "dana");
    await signIn(phone, "dana");
    await signIn(bob, "bob");
    expect((await laptop.post(gateway.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);
    expect((await phone.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(false);
    expect((await bob.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(true);
  });
});

describe("what the gateway writes", () => {
  it("counts sessions by event in /metrics (after the tests above: started, refreshed, ended by INVALID_GRANT, signed out, everywhere)", async () => {
    const metrics = await (await fetch(new URL("/metrics", gateway.url))).text();
    const count = (event: string) => Number(new RegExp(`^idc_gateway_sessions_total\\{event="${event}"\\} (\\d+)$`, "m").exec(metrics)?.[1] ?? 0);
    expect(count("started")).toBeGreaterThanOrEqual(10);
    expect(count("refreshed")).toBe(2);
    expect(count("ended")).toBe(1);
    expect(count("signed_out")).toBe(1);
    expect(count("signed_out_everywhere")).toBe(1);
  });

  it("never logs a session id, at debug level either", async () => {
    const debug = await startGateway({ env: { SESSION_MODE: "cookie", LOG_LEVEL: "debug" } });
    try {
      const user = browser();
      const assertion = await emulatorApi(debug.emulatorUrl!).mintAssertion({ sub: "erin" });
      await user.post(debug.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } });
      const ids = [user.cookie!];
      await user.post(debug.url, REFRESH_SESSION);
      ids.push(user.cookie!);
      await user.post(debug.url, SESSION, {}, { "x-request-id": "last" });
      // The last request's log line is out: everything before it is too.
      await debug.waitForOutput(/"operationName":"Session"/);
      for (const id of ids) expect(debug.output()).not.toContain(id);
      expect(debug.output()).toContain("session started");
    } finally {
      await debug.stop();
    }
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, codeOf, credentialsFrom, identityContextInIdToken as identityContextOf, REFRESH_SESSION, SESSION, SESSION_COOKIE, SIGN_IN, SIGN_OUT, SIGN_OUT_EVERYWHERE, signInShowingIdentityContext } from "./session-support.js";

/**
 * SESSION_EXPOSE=idToken shows page scripts the ID token, and Identity Center's ID token carries the
 * identity context (`sts:identity_context`). An attacker review signed out, then turned that context
 * into AWS credentials with assumeRoleWithIdentityContext, with no cookie. Ending a session takes its
 * identity context with it, and in session mode the mutation takes only the identity context of the
 * request's own live session (a later review made credentials from a copy after the session's idle
 * timeout): each test copies the browser's cookie before the session ends and presents it after.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({
    env: { SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});

/** `sub` signs in a new browser with an identity context; the browser and the context its page was shown. */
async function signInShowingContext(sub: string, on: { gateway: GatewayProcess; emulator: EmulatorApi } = { gateway, emulator }) {
  return signInShowingIdentityContext(on.gateway.url, (claims) => on.emulator.mintAssertion(claims), sub);
}

describe("a signed-out session's identity context", () => {
  it("makes no credentials after signOut, though the page was shown the ID token carrying it", async () => {
    const user = browser();
    const assertion = await emulator.mintAssertion({ sub: "yolanda" });
    expect((await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } })).body.errors).toBeUndefined();
    const session = (await user.post(gateway.url, SESSION)).body.data!.session as { idToken: string };
    const identityContext = identityContextOf(session.idToken);

    const copiedCookie = user.cookie;
    expect(await credentialsFrom(gateway.url, identityContext, copiedCookie)).toBe("ok");
    // A script that copied the ID token, elsewhere, without the cookie: nothing.
    expect(await credentialsFrom(gateway.url, identityContext, undefined)).toBe("UNAUTHENTICATED");

    expect((await user.post(gateway.url, SIGN_OUT)).body.data!.signOut).toBe(true);
    expect(await credentialsFrom(gateway.url, identityContext, copiedCookie)).toBe("UNAUTHENTICATED");
  });

  it("makes no credentials after a signOut that raced a refreshSession: the refresh's new tokens' context is forgotten too", async () => {
    const user = browser();
    const assertion = await emulator.mintAssertion({ sub: "zach" });
    expect((await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } })).body.errors).toBeUndefined();
    const identityContext = identityContextOf(((await user.post(gateway.url, SESSION)).body.data!.session as { idToken: string }).idToken);
    const copiedCookie = user.cookie;
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1500, count: 1 });
    try {
      const refreshing = user.post(gateway.url, REFRESH_SESSION);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await browser().post(gateway.url, SIGN_OUT, {}, { cookie: `${SESSION_COOKIE}=${user.cookie}` })).body.data!.signOut).toBe(true);
      expect(codeOf(await refreshing)).toBe("UNAUTHENTICATED");
    } finally {
      await emulator.clearFaults();
    }
    expect(await credentialsFrom(gateway.url, identityContext, copiedCookie)).toBe("UNAUTHENTICATED");
  });

  it("makes no credentials after signOutEverywhere, from the signing-out session's context nor from another browser's session nobody visits again; a sign-in after it makes them", async () => {
    const signIn = () => signInShowingContext("ursula");
    const laptop = await signIn();
    const phone = await signIn();
    const copiedCookies = [laptop.user.cookie, phone.user.cookie];
    expect(await credentialsFrom(gateway.url, phone.identityContext, phone.user.cookie)).toBe("ok");

    expect((await laptop.user.post(gateway.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);
    for (const [i, { identityContext }] of [laptop, phone].entries()) {
      expect(await credentialsFrom(gateway.url, identityContext, copiedCookies[i])).toBe("UNAUTHENTICATED");
    }
    const again = await signIn();
    expect(await credentialsFrom(gateway.url, again.identityContext, again.user.cookie)).toBe("ok");
  });

  it("makes no credentials from a context whose refresh was in flight while the user signed out everywhere", async () => {
    // An attacker review: the refresh recorded the context again after the mark, as if newer than it.
    const victim = await signInShowingContext("vera");
    const thief = await signInShowingContext("vera");
    const thiefCookie = thief.user.cookie;
    await emulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1500, count: 1 });
    try {
      const refreshing = thief.user.post(gateway.url, REFRESH_SESSION);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await victim.user.post(gateway.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);
      await refreshing;
    } finally {
      await emulator.clearFaults();
    }
    for (const cookie of [thiefCookie, thief.user.cookie]) expect(await credentialsFrom(gateway.url, thief.identityContext, cookie)).toBe("UNAUTHENTICATED");
  });
});

describe("a refresh in flight while the user signs out everywhere, its access token already expired", () => {
  // The identity context's record lives as long as the access token: gone, the refresh recorded the context as new,
  // later than the mark, and the thief's context made credentials (a review). The session's refresh now checks the mark.
  let shortLived: GatewayProcess | undefined;
  let shortEmulator: EmulatorApi;
  let configDirectory: string | undefined;
  beforeAll(async () => {
    configDirectory = await mkdtemp(join(tmpdir(), "idc-short-tokens-"));
    const config = join(configDirectory, "emulator.json");
    await writeFile(config, JSON.stringify({ applications: [{ clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222", accessTokenLifetimeSeconds: 2 }] }));
    shortLived = await startGateway({
      env: { SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", EMULATOR_CONFIG: config, RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" },
    });
    shortEmulator = emulatorApi(shortLived.emulatorUrl!);
  }, 30_000);
  afterAll(async () => {
    await shortLived?.stop();
    if (configDirectory !== undefined) await rm(configDirectory, { recursive: true, force: true });
  });

  it("ends the refreshed session and makes no credentials from its context", async () => {
    const signIn = () => signInShowingContext("xena", { gateway: shortLived!, emulator: shortEmulator });
    const victim = await signIn();
    const thief = await signIn();
    const thiefCookie = thief.user.cookie;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await shortEmulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 1500, count: 1 });
    let refreshed;
    try {
      const refreshing = thief.user.post(shortLived!.url, REFRESH_SESSION);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await victim.user.post(shortLived!.url, SIGN_OUT_EVERYWHERE)).body.data!.signOutEverywhere).toBe(true);
      refreshed = await refreshing;
    } finally {
      await shortEmulator.clearFaults();
    }
    expect(codeOf(refreshed)).toBe("UNAUTHENTICATED");
    for (const cookie of [thiefCookie, thief.user.cookie]) expect(await credentialsFrom(shortLived!.url, thief.identityContext, cookie)).toBe("UNAUTHENTICATED");
  });
});


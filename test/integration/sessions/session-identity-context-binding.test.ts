import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { ASSUME, browser, codeOf, credentialsFrom, identityContextInIdToken, REFRESH_SESSION, SESSION, signInShowingIdentityContext } from "./session-support.js";

/**
 * SESSION_EXPOSE=idToken shows the page the ID token, which carries the identity context. An
 * attacker review copied it and, with no cookie, made AWS credentials 3 s after the session ended by
 * its idle timeout (and 2 s after its absolute lifetime): nothing had forgotten the context, whose
 * record lives as long as the access token. In session mode assumeRoleWithIdentityContext now takes
 * only the identity context of the request's own live session.
 */
const IDLE_SECONDS = 2;
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({
    env: {
      SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", SESSION_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS),
      RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
    },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
});

const signedIn = (sub: string) => signInShowingIdentityContext(gateway.url, (claims) => emulator.mintAssertion(claims), sub);

describe("assumeRoleWithIdentityContext in session mode", () => {
  it("makes credentials from the session's own context with its cookie, and none from a copy without it or under another user's session", async () => {
    const owner = await signedIn("binding-owner");
    expect(await credentialsFrom(gateway.url, owner.identityContext, owner.user.cookie)).toBe("ok");

    expect(await credentialsFrom(gateway.url, owner.identityContext, undefined)).toBe("UNAUTHENTICATED");
    const other = await signedIn("binding-other");
    const underOther = await other.user.post(gateway.url, ASSUME, { input: { identityContext: owner.identityContext } });
    expect(codeOf(underOther)).toBe("BAD_USER_INPUT");
    expect(underOther.body.errors![0]!.extensions!.field).toBe("input.identityContext");
    // The other user's session is untouched by the refusal.
    expect(await credentialsFrom(gateway.url, other.identityContext, other.user.cookie)).toBe("ok");
  });

  it("makes none once the session has ended by its idle timeout, with the cookie or without", async () => {
    const { user, identityContext } = await signedIn("binding-idle");
    const copiedCookie = user.cookie;
    expect(await credentialsFrom(gateway.url, identityContext, copiedCookie)).toBe("ok");

    await new Promise((resolve) => setTimeout(resolve, (IDLE_SECONDS + 1) * 1000));
    expect(await credentialsFrom(gateway.url, identityContext, copiedCookie)).toBe("UNAUTHENTICATED");
    expect(await credentialsFrom(gateway.url, identityContext, undefined)).toBe("UNAUTHENTICATED");
    expect((await user.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(false);
  }, 30_000);

  it("keeps making them after a refresh, from the context the page holds, under the session's new cookie", async () => {
    const { user, identityContext } = await signedIn("binding-refresh");
    expect((await user.post(gateway.url, REFRESH_SESSION)).body.errors).toBeUndefined();
    const { idToken } = (await user.post(gateway.url, SESSION)).body.data!.session as { idToken: string };
    for (const context of new Set([identityContext, identityContextInIdToken(idToken)])) {
      expect(await credentialsFrom(gateway.url, context, user.cookie)).toBe("ok");
    }
  });

  it("is refused without the CSRF header, before the session is read", async () => {
    const { user, identityContext } = await signedIn("binding-csrf");
    const answer = await browser({ csrf: false }).post(gateway.url, ASSUME, { input: { identityContext } }, { cookie: `__Host-idc_session=${user.cookie}` });
    expect(answer.body.data?.assumeRoleWithIdentityContext ?? null).toBeNull();
    expect(codeOf(answer)).not.toBe("UNAUTHENTICATED");
  });
});

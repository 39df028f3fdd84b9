import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, credentialsFrom, REFRESH_SESSION, SESSION, SIGN_OUT, SIGN_OUT_EVERYWHERE, signInShowingIdentityContext } from "./session-support.js";

/** Review probe of 60182ed: a copied cookie (old or new) makes no credentials once the session has ended some other way. */
let gateway: GatewayProcess;
let emulator: EmulatorApi;
beforeAll(async () => {
  gateway = await startGateway({ env: { SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", REFRESH_GRACE_SECONDS: "1" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 60_000);
afterAll(async () => { await gateway?.stop(); });

const signedIn = (sub: string) => signInShowingIdentityContext(gateway.url, (claims) => emulator.mintAssertion(claims), sub);

describe("ends a copied cookie outlives", () => {
  it("refresh, then sign-out with the new cookie: the old cookie's copy makes none", async () => {
    const { user, identityContext } = await signedIn("ends-a");
    const old = user.cookie;
    expect((await user.post(gateway.url, REFRESH_SESSION)).body.errors).toBeUndefined();
    expect(user.cookie).not.toBe(old);
    expect((await user.post(gateway.url, SIGN_OUT)).body.errors).toBeUndefined();
    expect(await credentialsFrom(gateway.url, identityContext, old)).toBe("UNAUTHENTICATED");
  });
  it("refresh, then sign-out with the old cookie (a stale tab): the new cookie's copy makes none", async () => {
    const { user, identityContext } = await signedIn("ends-b");
    const old = user.cookie;
    expect((await user.post(gateway.url, REFRESH_SESSION)).body.errors).toBeUndefined();
    const fresh = user.cookie;
    const stale = browser();
    await stale.post(gateway.url, SIGN_OUT, undefined, { cookie: `__Host-idc_session=${old}` });
    expect(await credentialsFrom(gateway.url, identityContext, fresh)).toBe("UNAUTHENTICATED");
  });
  it("signOutEverywhere from the user's other browser: the first browser's cookie copy makes none", async () => {
    const first = await signedIn("ends-c");
    const second = await signedIn("ends-c");
    expect((await second.user.post(gateway.url, SIGN_OUT_EVERYWHERE)).body.errors).toBeUndefined();
    expect(await credentialsFrom(gateway.url, first.identityContext, first.user.cookie)).toBe("UNAUTHENTICATED");
  });
  it("refresh, then the browser uses its new cookie: the old cookie's copy makes none past the grace window", async () => {
    const { user, identityContext } = await signedIn("ends-d");
    const old = user.cookie;
    expect((await user.post(gateway.url, REFRESH_SESSION)).body.errors).toBeUndefined();
    expect(await credentialsFrom(gateway.url, identityContext, user.cookie)).toBe("ok");
    expect((await user.post(gateway.url, SESSION)).body.data!.session.authenticated).toBe(true);
    // The old id forwards for the grace window after the new one's first use (by design): wait it out.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    console.log("old cookie after the new one was used:", await credentialsFrom(gateway.url, identityContext, old));
    expect(await credentialsFrom(gateway.url, identityContext, old)).toBe("UNAUTHENTICATED");
  }, 20_000);
});

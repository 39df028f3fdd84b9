/**
 * The emulator's sign-in pages in real Chromium, as a person uses them: the authorization-code +
 * PKCE sign-in of a CreateTokenWithIAM application ending at a loopback callback, and the device
 * flow approved on the verification page; Deny in both; HTML in the query staying text; an
 * unregistered redirect URI ending on an error browser.page. Every request the browser makes stays on the
 * machine (the pages load nothing from elsewhere).
 */
import { decodeJwt } from "jose";
import { expect, it } from "vitest";
import { DEFAULT_APPLICATION_ARN } from "../../src/emulator/index.js";
import { rejectionOf } from "../support/emulator-harness.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { pkce } from "../support/emulator-flows.js";
import { GRANT } from "../support/emulator-model.js";
import { describeNeeding } from "../support/test-dependencies.js";
import { emulatorForFile, startDeviceAuthorization } from "../emulator/signin-http.js";
import { chromiumDependency } from "./chromium.js";
import { useSigninBrowser } from "./emulator-browser.js";

describeNeeding(chromiumDependency(), "emulator sign-in pages in Chromium", () => {
  const browser = useSigninBrowser(() => emulator.h);
  // The application's only redirect URI is the loopback callback, known once it listens.
  const emulator = emulatorForFile(() => ({
    config: { applications: [{ clientId: DEFAULT_APPLICATION_ARN, redirectUris: [browser.callback.url], scopes: ["openid", "aws"] }] },
  }));

  const authorizeUrl = (query: Record<string, string>) =>
    `${emulator.h.url}/authorize?${new URLSearchParams({ response_type: "code", client_id: DEFAULT_APPLICATION_ARN, redirect_uri: browser.callback.url, ...query })}`;

  it("signs alice in with PKCE: Allow sends code and state to the loopback callback, and CreateTokenWithIAM exchanges the code with the verifier", async () => {
    const proof = pkce("S256");
    await browser.page.goto(authorizeUrl({ state: "st-1", code_challenge: proof.challenge, code_challenge_method: "S256", scopes: "openid aws" }));
    expect(await browser.page.locator("h1").textContent()).toBe("Sign in and allow access");
    await browser.page.getByLabel("User name").fill("alice");
    const arrived = browser.callback.next();
    await browser.page.getByRole("button", { name: "Allow" }).click();
    const query = await arrived;
    expect([...query.keys()]).toEqual(["code", "state"]);
    expect(query.get("state")).toBe("st-1");
    await expect.poll(() => browser.page.locator("#callback").textContent()).toBe("Callback received. You can close this window.");

    const tokens = await emulator.h.createTokenWithIAM({
      grantType: GRANT.authorizationCode,
      code: query.get("code")!,
      redirectUri: browser.callback.url,
      codeVerifier: proof.verifier,
    });
    expect({ tokenType: tokens.tokenType, scope: tokens.scope }).toEqual({ tokenType: "Bearer", scope: ["openid", "aws"] });
    expect(decodeJwt(tokens.idToken!).sub).toBe("alice");
  });

  it("Deny sends error=access_denied and the state to the callback, and no code", async () => {
    await browser.page.goto(authorizeUrl({ state: "st-2", code_challenge: pkce("S256").challenge, code_challenge_method: "S256" }));
    const arrived = browser.callback.next();
    await browser.page.getByRole("button", { name: "Deny" }).click();
    expect(Object.fromEntries(await arrived)).toEqual({ error: "access_denied", state: "st-2" });
  });

  it("approves a device authorization on the page verificationUriComplete opens; CreateToken then issues tokens", async () => {
    const device = await startDeviceAuthorization(emulator.h.client());
    expect(device.verificationUriComplete).toBe(`${emulator.h.url}/device?user_code=${device.userCode}`);
    await browser.page.goto(device.verificationUriComplete);
    expect(await browser.page.getByLabel("Code").inputValue()).toBe(device.userCode);
    await browser.page.getByLabel("User name").fill("dave");
    await browser.page.getByRole("button", { name: "Allow" }).click();
    await expect.poll(() => browser.page.locator("h1").textContent()).toBe("Request approved");
    const tokens = await device.poll();
    expect(tokens.tokenType).toBe("Bearer");
    expect(tokens.accessToken).toMatch(/^aoa/);
  });

  it("denies a device authorization from the page: CreateToken answers AccessDeniedException", async () => {
    const device = await startDeviceAuthorization(emulator.h.client());
    await browser.page.goto(device.verificationUriComplete);
    await browser.page.getByRole("button", { name: "Deny" }).click();
    await expect.poll(() => browser.page.locator("h1").textContent()).toBe("Request denied");
    expectAwsException(await rejectionOf(device.poll()), "AccessDeniedException");
  });

  it("shows HTML from the query as text and runs none of it", async () => {
    const injected = `"><img src=x onerror="document.title='pwned'">`;
    await browser.page.goto(`${emulator.h.url}/device?user_code=${encodeURIComponent(injected)}`);
    expect(await browser.page.getByLabel("Code").inputValue()).toBe(injected);
    expect(await browser.page.locator("img").count()).toBe(0);

    const script = `<script>document.title='pwned'</script>`;
    await browser.page.goto(authorizeUrl({ client_id: script }));
    expect(await browser.page.locator("#error").textContent()).toBe(`No application or registered client has the client_id ${script}.`);
    expect(await browser.page.locator("main script").count()).toBe(0);
    expect(await browser.page.title()).toBe("Sign-in error · SSO OIDC emulator");
  });

  it("shows an error page for a redirect URI the application does not have, and never redirects to it", async () => {
    const unregistered = browser.callback.url.replace("/oauth/callback", "/elsewhere");
    const before = browser.callback.requests;
    const response = await browser.page.goto(authorizeUrl({ redirect_uri: unregistered, state: "st-3" }));
    expect(response?.status()).toBe(400);
    expect(browser.page.url().startsWith(`${emulator.h.url}/authorize?`)).toBe(true);
    expect(await browser.page.locator("#error").textContent()).toBe(`The redirect_uri ${unregistered} is not registered for ${DEFAULT_APPLICATION_ARN}.`);
    expect(browser.callback.requests).toBe(before);
  });
});

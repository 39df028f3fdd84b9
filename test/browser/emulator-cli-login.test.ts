/**
 * The AWS CLI v2 `aws sso login` (authorization-code flow) against the emulator, with the JS SDK as
 * the CLI and real Chromium as the person: RegisterClient with the authorization_code grant and a
 * port-less loopback redirect URI → the browser at the authorization endpoint, with the callback's
 * port → Allow → the loopback callback gets code and state → CreateToken with
 * the code and the PKCE verifier → CreateToken refresh.
 */
import { randomUUID } from "node:crypto";
import { CreateTokenCommand } from "@aws-sdk/client-sso-oidc";
import { expect, it } from "vitest";
import { pkce } from "../support/emulator-flows.js";
import { GRANT } from "../support/emulator-model.js";
import { registerCodeClient } from "../support/emulator-public-clients.js";
import { describeNeeding } from "../support/test-dependencies.js";
import { emulatorForFile } from "../emulator/signin-http.js";
import { chromiumDependency } from "./chromium.js";
import { useSigninBrowser } from "./emulator-browser.js";

describeNeeding(chromiumDependency(), "aws sso login (authorization code + PKCE) in Chromium", () => {
  const emulator = emulatorForFile();
  const browser = useSigninBrowser(() => emulator.h);

  /** RegisterClient as the CLI v2 sends it; its authorizationEndpoint is `<emulator>/authorize` (register-client-validation.test.ts). */
  async function registerAsCli() {
    const sdk = emulator.h.client();
    return { sdk, credentials: await registerCodeClient(sdk), authorizationEndpoint: `${emulator.h.url}/authorize` };
  }

  /** Opens the authorization endpoint with the CLI's query and clicks a button; returns the callback's query. */
  async function signIn(authorizationEndpoint: string, clientId: string, challenge: string | undefined, state: string, button: "Allow" | "Deny") {
    const query = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: browser.callback.url, state });
    if (challenge !== undefined) {
      query.append("code_challenge_method", "S256");
      query.append("code_challenge", challenge);
    }
    query.append("scopes", "sso:account:access");
    await browser.page.goto(`${authorizationEndpoint}?${query}`);
    if (button === "Allow") await browser.page.getByLabel("User name").fill("erin");
    const arrived = browser.callback.next();
    await browser.page.getByRole("button", { name: button }).click();
    return Object.fromEntries(await arrived);
  }

  it("registers, signs erin in through the browser, exchanges the code with the verifier, then refreshes", async () => {
    const { sdk, credentials, authorizationEndpoint } = await registerAsCli();
    const proof = pkce("S256");
    const state = randomUUID();
    const callback = await signIn(authorizationEndpoint, credentials.clientId, proof.challenge, state, "Allow");
    expect(Object.keys(callback)).toEqual(["code", "state"]);
    expect(callback.state).toBe(state);

    const tokens = await sdk.send(
      new CreateTokenCommand({ ...credentials, grantType: GRANT.authorizationCode, code: callback.code, redirectUri: browser.callback.url, codeVerifier: proof.verifier }),
    );
    expect({ tokenType: tokens.tokenType, expiresIn: tokens.expiresIn }).toEqual({ tokenType: "Bearer", expiresIn: 3600 });
    expect(tokens.accessToken).toMatch(/^aoa-us-east-1:/);
    expect(tokens.refreshToken).toMatch(/^aor-us-east-1:/);

    const refreshed = await sdk.send(new CreateTokenCommand({ ...credentials, grantType: GRANT.refreshToken, refreshToken: tokens.refreshToken! }));
    expect(refreshed.accessToken).toMatch(/^aoa-us-east-1:/);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
  });

  it("Deny sends error=access_denied with the state, which the CLI reports as a failed login", async () => {
    const { credentials, authorizationEndpoint } = await registerAsCli();
    const state = randomUUID();
    expect(await signIn(authorizationEndpoint, credentials.clientId, pkce("S256").challenge, state, "Deny")).toEqual({ error: "access_denied", state });
  });

  it("sends error=invalid_request after Allow when a public client leaves out PKCE", async () => {
    const { credentials, authorizationEndpoint } = await registerAsCli();
    const state = randomUUID();
    expect(await signIn(authorizationEndpoint, credentials.clientId, undefined, state, "Allow")).toEqual({
      error: "invalid_request",
      error_description: "codeChallenge: required for public clients (PKCE)",
      state,
    });
  });
});

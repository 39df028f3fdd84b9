import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, codeOf, credentialsFrom, identityContextInIdToken, REFRESH_SESSION, SESSION, SIGN_IN, type Browser } from "./session-support.js";

/**
 * Session mode: two browsers that signed in with one assertion (the second answered from the response cache)
 * hold one refresh token. One refreshes twice; the other's refresh of the first token is then a reuse, which
 * revokes the family. The family's identity context makes no credentials after that through
 * assumeRoleWithIdentityContext, yet `session { awsCredentials }` of the session holding the family's newest
 * tokens kept making them (STS honours the context while the holder's access token lives): it went to STS with
 * no look at the family.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;
const GRACE_MS = 1_000;
const CREDENTIALS = "query Credentials { session { authenticated awsCredentials { accessKeyId } } }";

beforeAll(async () => {
  gateway = await startGateway({
    env: { SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", REFRESH_GRACE_SECONDS: String(GRACE_MS / 1000), RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
});

async function signIn(user: Browser, assertion: string): Promise<void> {
  expect((await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } })).body.errors).toBeUndefined();
}

describe("a session whose refresh family was revoked", () => {
  it("makes no AWS credentials from session { awsCredentials }, as assumeRoleWithIdentityContext makes none", async () => {
    const assertion = await emulator.mintAssertion({ sub: "revoked-credentials" });
    const holder = browser();
    const other = browser();
    await signIn(holder, assertion);
    await signIn(other, assertion);
    expect((await holder.post(gateway.url, REFRESH_SESSION)).body.data!.refreshSession.authenticated).toBe(true);
    expect((await holder.post(gateway.url, REFRESH_SESSION)).body.data!.refreshSession.authenticated).toBe(true);
    expect((await holder.post(gateway.url, CREDENTIALS)).body.data!.session.awsCredentials.accessKeyId).toMatch(/^ASIA/);
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));
    // The other session presents the family's first refresh token, whose successor was refreshed: a reuse.
    expect(codeOf(await other.post(gateway.url, REFRESH_SESSION))).toBe("INVALID_GRANT");

    const { idToken } = (await holder.post(gateway.url, SESSION)).body.data!.session as { idToken: string };
    // The other session's end forgot the identity context both sessions carry: assumeRoleWithIdentityContext makes none.
    expect(await credentialsFrom(gateway.url, identityContextInIdToken(idToken), holder.cookie)).not.toBe("ok");
    const credentials = await holder.post(gateway.url, CREDENTIALS);
    expect(credentials.body.data?.session?.awsCredentials ?? null).toBeNull();
    expect(codeOf(credentials)).toBe("INVALID_GRANT");
  });
});

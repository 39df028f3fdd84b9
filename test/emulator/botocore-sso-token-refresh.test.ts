/**
 * botocore's own SSO token provider (what `aws sso login` leaves behind and every later CLI or boto3
 * call uses) refreshing against the emulator, unmodified: a profile with an `sso-session`, its cached
 * token in ~/.aws/sso/cache/<sha1 of the session name>.json about to expire, and `Session.get_auth_token()`.
 * botocore sends CreateToken with the refresh_token grant (unsigned), reads the answer and writes the
 * rotated token back to its cache; the emulator then refuses the spent refresh token.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateTokenCommand, InvalidGrantException } from "@aws-sdk/client-sso-oidc";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { pkce } from "../support/emulator-flows.js";
import { CLI_REDIRECT_URI, registerCodeClient, START_URL } from "../support/emulator-public-clients.js";
import { GRANT } from "../support/emulator-model.js";
import { describeNeeding, probeBotocore } from "../support/test-dependencies.js";

const runFile = promisify(execFile);
const SESSION = "emulator-session";

/** Session.get_auth_token() for the profile, as botocore's credential and token chains call it; prints the token and the cache. */
const GET_AUTH_TOKEN = `
import json, sys, botocore.session
token = botocore.session.Session(profile="dev").get_auth_token().get_frozen_token()
print(json.dumps({"token": token.token, "expiration": token.expiration.isoformat()}))
`;

describeNeeding(probeBotocore(), "botocore's SSO token provider refreshing against the emulator", () => {
  let h: TestEmulator;
  let home: string;
  beforeAll(async () => {
    h = await startTestEmulator();
    home = mkdtempSync(join(tmpdir(), "botocore-sso-"));
  });
  afterAll(async () => {
    await h?.stop();
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  });

  /** A sign-in as `aws sso login` makes it: a public client, a code with PKCE, CreateToken. */
  async function signIn() {
    const sdk = h.client();
    const registered = await registerCodeClient(sdk);
    const { verifier, challenge } = pkce("S256");
    const { code } = await h.dev.authorize({ clientId: registered.clientId, redirectUri: CLI_REDIRECT_URI, sub: "alice", codeChallenge: challenge, codeChallengeMethod: "S256" });
    const tokens = await sdk.send(new CreateTokenCommand({ ...registered, grantType: GRANT.authorizationCode, code, codeVerifier: verifier, redirectUri: CLI_REDIRECT_URI }));
    return { sdk, registered, tokens };
  }

  it("botocore refreshes a cached token near its expiry with CreateToken, caches the rotated one, and the old refresh token is spent", async () => {
    const { sdk, registered, tokens } = await signIn();
    writeFileSync(join(home, "config"), [
      "[profile dev]", `sso_session = ${SESSION}`, "",
      `[sso-session ${SESSION}]`, `sso_start_url = ${START_URL}`, `sso_region = ${h.region}`, "sso_registration_scopes = sso:account:access", "",
    ].join("\n"));
    const cacheDir = join(home, ".aws", "sso", "cache");
    mkdirSync(cacheDir, { recursive: true });
    const cacheFile = join(cacheDir, `${createHash("sha1").update(SESSION).digest("hex")}.json`);
    // Inside botocore's mandatory refresh window (10 minutes): it must refresh before answering.
    const expiring = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    writeFileSync(cacheFile, JSON.stringify({
      startUrl: START_URL, region: h.region, accessToken: tokens.accessToken, expiresAt: expiring,
      clientId: registered.clientId, clientSecret: registered.clientSecret,
      registrationExpiresAt: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      refreshToken: tokens.refreshToken,
    }));
    const before = (await h.dev.stats()).calls.CreateToken;

    const { stdout } = await runFile("python3", ["-c", GET_AUTH_TOKEN], {
      env: { PATH: process.env.PATH ?? "", HOME: home, AWS_CONFIG_FILE: join(home, "config"), AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_ENDPOINT_URL_SSO_OIDC: h.url },
    });
    const refreshed = JSON.parse(stdout) as { token: string; expiration: string };
    expect(refreshed.token).not.toBe(tokens.accessToken);
    expect(new Date(refreshed.expiration).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect((await h.dev.stats()).calls.CreateToken).toBe(before + 1);

    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, string>;
    expect(cached).toMatchObject({ accessToken: refreshed.token, clientId: registered.clientId, startUrl: START_URL, region: h.region });
    expect(cached.refreshToken).toEqual(expect.any(String));
    expect(cached.refreshToken).not.toBe(tokens.refreshToken);

    // The rotated refresh token works; the one botocore spent does not.
    const spent = sdk.send(new CreateTokenCommand({ ...registered, grantType: GRANT.refreshToken, refreshToken: tokens.refreshToken }));
    await expect(spent).rejects.toBeInstanceOf(InvalidGrantException);
    const next = await sdk.send(new CreateTokenCommand({ ...registered, grantType: GRANT.refreshToken, refreshToken: cached.refreshToken }));
    expect(next.accessToken).toEqual(expect.any(String));
  });
});

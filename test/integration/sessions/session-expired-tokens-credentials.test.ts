import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { emulatorUpstreamEnv } from "../../support/emulator-upstream-env.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { ASSUME, browser, codeOf, REFRESH_SESSION, SIGN_IN, type Browser } from "./session-support.js";

/**
 * Session mode: a session outlives its access token (it refreshes it), and so does the identity
 * context's record, no longer: assumeRoleWithIdentityContext refuses a context whose tokens have
 * expired before the cache and before STS ("credentials made earlier are handed out only while their
 * identity context still holds"). `session { awsCredentials }` of the same session did neither:
 * past its tokens' expiry it kept handing out the credentials cached for the context, and sent every
 * new selection (another duration) to STS with the expired context, which STS refuses, at the cost of
 * one AssumeRole each, none remembered. A refresh gives the context a new life, and credentials again.
 */
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-777777777777";
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const TOKEN_SECONDS = 2;
const CREDENTIALS = (durationSeconds: number) => `query Credentials { session { authenticated awsCredentials(durationSeconds: ${durationSeconds}) { accessKeyId } } }`;

let emulator: RunningEmulator;
let gateway: GatewayProcess;
let api: EmulatorApi;
let dev: EmulatorDevApi;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, config: { applications: [{ clientId: APP, accessTokenLifetimeSeconds: TOKEN_SECONDS }], roles: [{ arn: ROLE }] } });
  api = emulatorApi(emulator.url);
  dev = new EmulatorDevApi(emulator.url);
  gateway = await startGateway({
    env: {
      ...emulatorUpstreamEnv(emulator),
      DEFAULT_CLIENT_ID: APP, ALLOWED_CLIENT_IDS: APP, DEFAULT_ROLE_ARN: ROLE,
      SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken",
      RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
    },
  });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

const assumeRoleCalls = async (): Promise<number> => (await dev.stats()).calls.AssumeRole;

async function signIn(sub: string): Promise<Browser> {
  const user = browser();
  const assertion = await api.mintAssertion({ sub });
  const answer = await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } });
  expect(answer.body.errors).toBeUndefined();
  return user;
}

const accessKeyIdOf = (answer: Awaited<ReturnType<Browser["post"]>>): string | undefined =>
  (answer.body.data?.session as { awsCredentials: { accessKeyId: string } | null } | undefined)?.awsCredentials?.accessKeyId;

describe("session { awsCredentials } once the session's tokens have expired", () => {
  it("makes none, from the cache or from STS, as assumeRoleWithIdentityContext makes none; a refresh makes them again", async () => {
    const user = await signIn("expired-tokens");
    expect(accessKeyIdOf(await user.post(gateway.url, CREDENTIALS(3600)))).toMatch(/^ASIA/);
    await new Promise((resolve) => setTimeout(resolve, TOKEN_SECONDS * 1000 + 500));

    const before = await assumeRoleCalls();
    // The credentials cached for this context, and a selection not cached: neither is made, and STS is not asked.
    const cached = await user.post(gateway.url, CREDENTIALS(3600));
    expect(cached.body.data?.session).toEqual({ authenticated: true, awsCredentials: null });
    expect(codeOf(cached)).toBe("EXPIRED_TOKEN");
    expect(cached.body.errors![0]!.extensions).toMatchObject({ field: "awsCredentials" });
    const uncached = await user.post(gateway.url, CREDENTIALS(1800));
    expect(codeOf(uncached)).toBe("EXPIRED_TOKEN");
    expect(await assumeRoleCalls()).toBe(before);

    // What assumeRoleWithIdentityContext answers for the same session's context meanwhile: none either.
    const { idToken } = (await user.post(gateway.url, "query { session { idToken } }")).body.data!.session as { idToken: string };
    const context = JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString("utf8"))["sts:identity_context"] as string;
    expect((await user.post(gateway.url, ASSUME, { input: { identityContext: context } })).body.data?.assumeRoleWithIdentityContext ?? null).toBeNull();

    // The session refreshes its tokens: the same context lives again, and makes credentials.
    expect((await user.post(gateway.url, REFRESH_SESSION)).body.data!.refreshSession.authenticated).toBe(true);
    expect(accessKeyIdOf(await user.post(gateway.url, CREDENTIALS(1800)))).toMatch(/^ASIA/);
  });
});

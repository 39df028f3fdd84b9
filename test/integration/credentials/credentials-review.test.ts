import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_APPLICATION_ARN, startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { dataOf, graphql, onlyError } from "../../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { emulatorUpstreamEnv } from "../../support/emulator-upstream-env.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Security review of identity-enhanced credentials (issue 14), written as failing tests: what a
 * caller can get from assumeRoleWithIdentityContext that it should not, and what an operator
 * cannot see. A real gateway process at LOG_LEVEL=info (production's level), the real AWS SDK,
 * the emulator's STS over real HTTP.
 */

const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const NO_CONTEXT_ROLE = "arn:aws:iam::123456789012:role/NoSetContext";
/** An Identity Center application the emulator knows and this gateway does not allow (not in ALLOWED_CLIENT_IDS). */
const OTHER_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-999999999999";
const JWT_BEARER_URN = "urn:ietf:params:oauth:grant-type:jwt-bearer";

const EXCHANGE = `mutation Exchange($assertion: String!) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { refreshToken awsAdditionalDetails { identityContext } }
}`;
const REFRESH = "mutation Refresh($refreshToken: String!) { refreshToken(input: { refreshToken: $refreshToken }) { refreshToken } }";
const RENEW = "mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId } }";

let emulator: RunningEmulator;
let gateway: GatewayProcess;
let api: EmulatorApi;
let dev: EmulatorDevApi;
let oidc: SSOOIDCClient;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    config: {
      applications: [{ clientId: DEFAULT_APPLICATION_ARN }, { clientId: OTHER_APP }],
      roles: [{ arn: ROLE }, { arn: NO_CONTEXT_ROLE, allowSetContext: false }],
    },
  });
  api = emulatorApi(emulator.url);
  dev = new EmulatorDevApi(emulator.url);
  oidc = new SSOOIDCClient({ endpoint: emulator.url, region: emulator.region, credentials: emulator.credentials, maxAttempts: 1 });
  gateway = await startGateway({
    env: {
      ...emulatorUpstreamEnv(emulator),
      DEFAULT_ROLE_ARN: ROLE,
      ALLOWED_ROLE_ARNS: NO_CONTEXT_ROLE,
      LOG_LEVEL: "info",
      RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
    },
  });
}, 60_000);

afterAll(async () => {
  oidc?.destroy();
  await gateway?.stop();
  await emulator?.stop();
});

const assumeRoleCalls = async (): Promise<number> => (await dev.stats()).calls.AssumeRole;

async function signIn(sub: string): Promise<{ refreshToken: string; identityContext: string }> {
  const assertion = await api.mintAssertion({ sub });
  const token = dataOf(await graphql(gateway.url, EXCHANGE, { assertion })).createTokenWithIAM as { refreshToken: string; awsAdditionalDetails: { identityContext: string } };
  return { refreshToken: token.refreshToken, identityContext: token.awsAdditionalDetails.identityContext };
}

async function refreshed(refreshToken: string): Promise<string> {
  return (dataOf(await graphql(gateway.url, REFRESH, { refreshToken })).refreshToken as { refreshToken: string }).refreshToken;
}

describe("identity contexts the gateway must not turn into credentials", () => {
  it("refuses credentials for the identity context of a refresh-token family revoked for reuse, without calling STS", async () => {
    const { refreshToken: root, identityContext } = await signIn("mallory-victim");
    const first = await refreshed(root);
    await refreshed(first);
    // The rotated root presented after its successor was used: reuse, the whole family is revoked (issue 11 item 5).
    expect(onlyError(await graphql(gateway.url, REFRESH, { refreshToken: root })).extensions?.code).toBe("INVALID_GRANT");

    const before = await assumeRoleCalls();
    const result = await graphql(gateway.url, RENEW, { input: { identityContext, durationSeconds: 1200 } });
    expect(result.body.data).toBeNull();
    expect(onlyError(result).extensions).toMatchObject({ code: "INVALID_GRANT" });
    expect(await assumeRoleCalls()).toBe(before);
  });

  it("refuses credentials for an identity context issued to an application outside ALLOWED_CLIENT_IDS, without calling STS", async () => {
    // A user of another application (not assigned to this gateway's) holds an identity context of their own.
    const assertion = await api.mintAssertion({ sub: "outsider" });
    const foreign = await oidc.send(new CreateTokenWithIAMCommand({ clientId: OTHER_APP, grantType: JWT_BEARER_URN, assertion }));
    const identityContext = foreign.awsAdditionalDetails?.identityContext;
    expect(identityContext).toEqual(expect.any(String));

    const before = await assumeRoleCalls();
    const result = await graphql(gateway.url, RENEW, { input: { identityContext } });
    expect(result.body.data).toBeNull();
    expect(onlyError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.identityContext" });
    expect(await assumeRoleCalls()).toBe(before);
  });

  it("refuses an identity context this gateway never issued (any 4-character string from an unauthenticated caller) without calling STS", async () => {
    const before = await assumeRoleCalls();
    const result = await graphql(gateway.url, RENEW, { input: { identityContext: "zzzz" } });
    expect(result.body.data).toBeNull();
    expect(onlyError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.identityContext" });
    expect(await assumeRoleCalls()).toBe(before);
  });
});

describe("what CloudTrail shows of a session", () => {
  it("names the application in the RoleSessionName (issue 14: derived from the application, no user data)", async () => {
    const assertion = await api.mintAssertion({ sub: "audited" });
    const result = await graphql(gateway.url, "mutation($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { awsCredentials { accessKeyId } } }", { assertion });
    const { accessKeyId } = (dataOf(result).createTokenWithIAM as { awsCredentials: { accessKeyId: string } }).awsCredentials;
    const session = await dev.stsSession(accessKeyId);
    expect(session.roleSessionName).toContain("apl-222222222222");
    expect(session.roleSessionName).not.toContain("audited");
  });
});

describe("what an operator sees at LOG_LEVEL=info", () => {
  it("logs at warn or above when STS refuses an allowed role (the role's trust policy or the gateway's IAM policy is wrong: no caller can fix it)", async () => {
    const { identityContext } = await signIn("trust-policy");
    const error = onlyError(await graphql(gateway.url, RENEW, { input: { identityContext, roleArn: NO_CONTEXT_ROLE } }));
    expect(error.extensions).toMatchObject({ code: "ACCESS_DENIED" });
    // The answer can reach the test before the log line crosses the child's stdout pipe: wait for the line itself.
    await gateway.waitForOutput(/AssumeRole refused for a configured role/);
    const lines = gateway.logLines().filter((line) => typeof line.level === "number" && line.level >= 40 && line.roleArn === NO_CONTEXT_ROLE);
    expect(lines.map((line) => line.msg)).toEqual([expect.stringMatching(/AssumeRole/)]);
  });
});

import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_APPLICATION_ARN, type RunningEmulator } from "../../../src/emulator/index.js";
import { dataOf, graphql, onlyError } from "../../support/gateway-client.js";
import type { EmulatorApi } from "../../support/gateway-emulator-api.js";
import type { GatewayProcess } from "../../support/gateway-process.js";
import type { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { NO_CONTEXT_ROLE, ROLE, SHORT_APP, startCredentialsFixture, type CredentialsFixture } from "./credentials-fixture.js";

/**
 * Identity-enhanced credentials end to end: a real gateway process, the real AWS SDK (its STS
 * client inside the gateway, and another here to use the credentials), the emulator's STS on real
 * HTTP. The emulator runs in this process on a clock the tests can move (identity contexts expire);
 * the gateway keeps real time, within SigV4's five-minute skew.
 */

const UNLISTED_ROLE = "arn:aws:iam::123456789012:role/NotAllowed";

const CREDENTIAL_FIELDS = "accessKeyId secretAccessKey sessionToken expiration secondsRemaining roleArn assumedRoleArn";
const EXCHANGE = `mutation Exchange($assertion: String!, $clientId: String) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion, clientId: $clientId }) {
    accessToken refreshToken awsAdditionalDetails { identityContext }
    awsCredentials { ${CREDENTIAL_FIELDS} }
  }
}`;
const RENEW = `mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { ${CREDENTIAL_FIELDS} } }`;

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
  secondsRemaining: number;
  roleArn: string;
  assumedRoleArn: string;
}

let fixture: CredentialsFixture;
let emulator: RunningEmulator;
let gateway: GatewayProcess;
let api: EmulatorApi;
let dev: EmulatorDevApi;
/** Every secret a test saw: none may appear in the gateway's output. */
const secrets = new Set<string>();
const stsClients: STSClient[] = [];

beforeAll(async () => {
  fixture = await startCredentialsFixture({
    LOG_LEVEL: "debug",
    RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
  });
  ({ emulator, gateway, api, dev } = fixture);
}, 60_000);

afterEach(async () => {
  await dev.clearFaults();
  fixture.setClockOffset(0);
});

afterAll(async () => {
  for (const client of stsClients) client.destroy();
  await fixture?.stop();
});

const assumeRoleCalls = (): Promise<number> => fixture.assumeRoleCalls();

function remember(credentials: Credentials): Credentials {
  secrets.add(credentials.secretAccessKey);
  secrets.add(credentials.sessionToken);
  return credentials;
}

async function exchange(sub: string, clientId?: string) {
  const assertion = await api.mintAssertion({ sub });
  const result = await graphql(gateway.url, EXCHANGE, { assertion, ...(clientId ? { clientId } : {}) });
  const token = dataOf(result).createTokenWithIAM as { refreshToken: string | null; awsAdditionalDetails: { identityContext: string }; awsCredentials: Credentials };
  secrets.add(token.awsAdditionalDetails.identityContext);
  if (token.refreshToken) secrets.add(token.refreshToken);
  remember(token.awsCredentials);
  return token;
}

function signedWith(credentials: Credentials): STSClient {
  const client = new STSClient({
    endpoint: emulator.url, region: emulator.region, maxAttempts: 1,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
  });
  stsClients.push(client);
  return client;
}

describe("one mutation returns tokens and identity-enhanced credentials", () => {
  it("returns credentials that sign a GetCallerIdentity naming the role session, and carry the user", async () => {
    const token = await exchange("alice");
    const credentials = token.awsCredentials;
    expect(credentials).toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIA[A-Z0-9]{16}$/),
      roleArn: ROLE,
      assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idcgw-apl-222222222222",
    });
    expect(credentials.secondsRemaining).toBeGreaterThan(3500);
    expect(credentials.secondsRemaining).toBeLessThanOrEqual(3600);

    const identity = await signedWith(credentials).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(credentials.assumedRoleArn);
    expect(identity.Account).toBe("123456789012");
    const session = await dev.stsSession(credentials.accessKeyId);
    expect(session).toMatchObject({ roleArn: ROLE, roleSessionName: "idcgw-apl-222222222222", identityCenter: { sub: "alice", applicationArn: DEFAULT_APPLICATION_ARN } });
    expect(new Date(credentials.expiration).toISOString()).toBe(session.expiration);
  });

  it("makes one STS call for identical selections in one operation (aliases), one per distinct selection", async () => {
    const assertion = await api.mintAssertion({ sub: "bob" });
    const before = await assumeRoleCalls();
    const result = await graphql(gateway.url, `mutation($assertion: String!) {
      createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) {
        a: awsCredentials { accessKeyId secretAccessKey sessionToken }
        b: awsCredentials(roleArn: "${ROLE}") { accessKeyId }
        c: awsCredentials(durationSeconds: 900) { accessKeyId secretAccessKey sessionToken secondsRemaining }
      }
    }`, { assertion });
    const { a, b, c } = dataOf(result).createTokenWithIAM as Record<string, Credentials>;
    secrets.add(a!.secretAccessKey).add(a!.sessionToken).add(c!.secretAccessKey).add(c!.sessionToken);
    expect(b!.accessKeyId).toBe(a!.accessKeyId);
    expect(c!.accessKeyId).not.toBe(a!.accessKeyId);
    expect(c!.secondsRemaining).toBeLessThanOrEqual(900);
    expect((await assumeRoleCalls()) - before).toBe(2);
  });

  it("selects no credentials, and calls STS not at all, when awsCredentials is not selected", async () => {
    const assertion = await api.mintAssertion({ sub: "carol" });
    const before = await assumeRoleCalls();
    const result = await graphql(gateway.url, "mutation($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { accessToken } }", { assertion });
    secrets.add((dataOf(result).createTokenWithIAM as { accessToken: string }).accessToken);
    expect((await assumeRoleCalls()) - before).toBe(0);
  });
});

describe("renewal", () => {
  it("assumeRoleWithIdentityContext renews credentials without a new exchange; an identical request is answered from the cache", async () => {
    const token = await exchange("dave");
    const exchangesBefore = (await dev.stats()).calls.CreateTokenWithIAM;
    const stsBefore = await assumeRoleCalls();
    const input = { identityContext: token.awsAdditionalDetails.identityContext, durationSeconds: 1800 };
    const first = remember(dataOf(await graphql(gateway.url, RENEW, { input })).assumeRoleWithIdentityContext as Credentials);
    const second = remember(dataOf(await graphql(gateway.url, RENEW, { input })).assumeRoleWithIdentityContext as Credentials);
    expect(first.accessKeyId).not.toBe(token.awsCredentials.accessKeyId);
    expect(second.accessKeyId).toBe(first.accessKeyId);
    expect(first.secondsRemaining).toBeLessThanOrEqual(1800);
    expect(await assumeRoleCalls()).toBe(stsBefore + 1);
    expect((await dev.stats()).calls.CreateTokenWithIAM).toBe(exchangesBefore);
    expect((await signedWith(first).send(new GetCallerIdentityCommand({}))).Arn).toBe(first.assumedRoleArn);
  });

  it("renews credentials after a refresh, past the identity context's first expiry: the refresh keeps the Identity Center session alive", async () => {
    const token = await exchange("erin", SHORT_APP);
    fixture.setClockOffset(50_000);
    const result = await graphql(gateway.url, `mutation($refreshToken: String!, $clientId: String) {
      refreshToken(input: { refreshToken: $refreshToken, clientId: $clientId }) { refreshToken awsAdditionalDetails { identityContext } awsCredentials { ${CREDENTIAL_FIELDS} } }
    }`, { refreshToken: token.refreshToken, clientId: SHORT_APP });
    const refreshed = dataOf(result).refreshToken as { refreshToken: string; awsAdditionalDetails: { identityContext: string }; awsCredentials: Credentials };
    secrets.add(refreshed.refreshToken);
    // The same sign-in, so the same identity context (AWS's plugin relies on the refresh answer carrying it): its credentials come from the cache.
    expect(refreshed.awsAdditionalDetails.identityContext).toBe(token.awsAdditionalDetails.identityContext);
    expect(refreshed.awsCredentials.accessKeyId).toBe(token.awsCredentials.accessKeyId);

    fixture.setClockOffset(80_000);
    const renewed = remember(dataOf(await graphql(gateway.url, RENEW, { input: { identityContext: refreshed.awsAdditionalDetails.identityContext, durationSeconds: 1200 } })).assumeRoleWithIdentityContext as Credentials);
    expect(renewed.accessKeyId).not.toBe(token.awsCredentials.accessKeyId);
    expect((await signedWith(renewed).send(new GetCallerIdentityCommand({}))).Arn).toBe(renewed.assumedRoleArn);
    expect((await dev.stsSession(renewed.accessKeyId)).identityCenter).toEqual({ sub: "erin", applicationArn: SHORT_APP });
  });
});

describe("refusals", () => {
  it.each([
    ["a role outside ALLOWED_ROLE_ARNS", { roleArn: UNLISTED_ROLE }, "input.roleArn", /not one of the roles this gateway may assume \(ALLOWED_ROLE_ARNS\)/],
    ["a duration below 900 s", { durationSeconds: 899 }, "input.durationSeconds", /multiple of 300 from 900 to 3600 \(CREDENTIALS_MAX_DURATION_SECONDS\)/],
    ["a duration off the five-minute grid", { durationSeconds: 1000 }, "input.durationSeconds", /multiple of 300/],
    ["a duration above the configured maximum", { durationSeconds: 3601 }, "input.durationSeconds", /from 900 to 3600/],
    ["an identity context shorter than STS accepts", { identityContext: "abc" }, "input.identityContext", /of 4 to 2048 characters/],
  ])("refuses %s with BAD_USER_INPUT naming the field, without calling STS", async (_name, override, field, message) => {
    const before = await assumeRoleCalls();
    const input = { identityContext: "a-context-that-is-never-sent", ...override };
    const error = onlyError(await graphql(gateway.url, RENEW, { input }));
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(error.message).toMatch(message);
    expect(await assumeRoleCalls()).toBe(before);
  });

  it("refuses a role outside the allowlist on the field too, naming its argument, and still returns the tokens", async () => {
    const assertion = await api.mintAssertion({ sub: "frank" });
    const before = await assumeRoleCalls();
    const result = await graphql(gateway.url, `mutation($assertion: String!) {
      createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { accessToken awsCredentials(roleArn: "${UNLISTED_ROLE}") { accessKeyId } }
    }`, { assertion });
    const error = onlyError(result);
    expect(error).toMatchObject({ path: ["createTokenWithIAM", "awsCredentials"], extensions: { code: "BAD_USER_INPUT", field: "roleArn" } });
    const data = result.body.data as { createTokenWithIAM: { accessToken: string; awsCredentials: null } };
    secrets.add(data.createTokenWithIAM.accessToken);
    expect(data.createTokenWithIAM).toEqual({ accessToken: expect.any(String), awsCredentials: null });
    expect(await assumeRoleCalls()).toBe(before);
  });

  it("answers ACCESS_DENIED when the role's trust policy does not allow sts:SetContext", async () => {
    const token = await exchange("grace");
    const error = onlyError(await graphql(gateway.url, RENEW, { input: { identityContext: token.awsAdditionalDetails.identityContext, roleArn: NO_CONTEXT_ROLE } }));
    expect(error.extensions).toMatchObject({ code: "ACCESS_DENIED", awsException: "AccessDenied" });
    expect(error.message).not.toContain("arn:aws:iam::");
  });

  it("answers EXPIRED_TOKEN for an identity context whose Identity Center session has ended", async () => {
    const token = await exchange("heidi", SHORT_APP);
    fixture.setClockOffset(61_000);
    // A duration not asked for before: credentials already issued for this context would come from the cache (valid at AWS until they expire).
    const error = onlyError(await graphql(gateway.url, RENEW, { input: { identityContext: token.awsAdditionalDetails.identityContext, durationSeconds: 1500 } }));
    expect(error.extensions).toMatchObject({ code: "EXPIRED_TOKEN", awsException: "ExpiredTokenException" });
  });

});

describe("STS faults", () => {
  it("retries an STS internal failure and returns the credentials of the retry", async () => {
    const token = await exchange("ivan");
    await dev.addFault({ operation: "AssumeRole", exception: "InternalFailure", count: 1 });
    const before = await assumeRoleCalls();
    const renewed = remember(dataOf(await graphql(gateway.url, RENEW, { input: { identityContext: token.awsAdditionalDetails.identityContext, durationSeconds: 900 } })).assumeRoleWithIdentityContext as Credentials);
    expect(renewed.accessKeyId).toMatch(/^ASIA/);
    expect(await assumeRoleCalls()).toBe(before + 2);
  });

  it("answers UPSTREAM_SERVER_ERROR once every attempt failed (UPSTREAM_MAX_ATTEMPTS = 3)", async () => {
    const token = await exchange("judy");
    await dev.addFault({ operation: "AssumeRole", exception: "InternalFailure", count: 10 });
    const before = await assumeRoleCalls();
    const error = onlyError(await graphql(gateway.url, RENEW, { input: { identityContext: token.awsAdditionalDetails.identityContext, durationSeconds: 2100 } }));
    expect(error.extensions).toMatchObject({ code: "UPSTREAM_SERVER_ERROR", awsException: "InternalFailure" });
    expect(await assumeRoleCalls()).toBe(before + 3);
  });

  it("answers UPSTREAM_UNAVAILABLE at UPSTREAM_DEADLINE_MS when STS is slow", async () => {
    const token = await exchange("ken");
    await dev.addFault({ operation: "AssumeRole", latencyMs: 5_000, count: 10 });
    const error = onlyError(await graphql(gateway.url, RENEW, { input: { identityContext: token.awsAdditionalDetails.identityContext, durationSeconds: 2400 } }));
    expect(error.extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    expect(error.message).toMatch(/^STS did not answer within the gateway's deadline \(2500 ms/);
  });
});

describe("what the gateway shows of it", () => {
  it("reports STS's circuit on /readyz (checks.sts): degraded, still 200, while it is open", async () => {
    const response = await fetch(new URL("/readyz", gateway.url));
    const body = (await response.json()) as { status: string; checks: Record<string, { ok: boolean; detail: string }> };
    expect(response.status).toBe(200);
    expect(body.checks.sts).toEqual({ ok: expect.any(Boolean), detail: expect.stringMatching(/^circuit (closed|open|half-open)/) });
    expect(body.status).toBe(body.checks.sts!.ok ? "ready" : "degraded");
  });

  it("counts STS calls by outcome and credentials lookups in /metrics", async () => {
    const metrics = await (await fetch(new URL("/metrics", gateway.url))).text();
    expect(metrics).toMatch(/^idc_gateway_sts_calls_total\{outcome="ok"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^idc_gateway_sts_calls_total\{outcome="ACCESS_DENIED"\} 1$/m);
    expect(metrics).toMatch(/^idc_gateway_credentials_lookups_total\{result="hit"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^idc_gateway_credentials_lookups_total\{result="miss"\} [1-9]\d*$/m);
  });

  it("never writes a secret access key, session token, identity context or refresh token to its output", () => {
    expect(secrets.size).toBeGreaterThan(20);
    const output = gateway.output();
    expect(output).toContain("AssumeRole");
    for (const secret of secrets) expect(output.includes(secret), `a secret of ${secret.length} characters is in the gateway's output`).toBe(false);
  });
});

/**
 * The example client's AWS credentials provider against the RUNNING gateway (spawned like a user
 * runs it) and an in-process emulator serving SSO OIDC and STS. The provider's credentials go to the
 * real `@aws-sdk/client-sts` STSClient as `credentials`, exactly as a browser app passes them to any
 * AWS SDK client. The provider's clock is injected, so "five minutes before expiration" is reached by
 * moving it, not by waiting; the counting fetch is the client's record of what it sent, the
 * emulator's stats count what reached STS.
 */
import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createCredentialsProvider,
  executeOperation,
  ExchangeTokenWithCredentialsDocument,
  GatewayRequestError,
  SignedOutError,
  TokenManager,
  type CredentialsProviderOptions,
} from "../../../examples/client/src/index.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { countingFetch, startClientGateway, type CountingFetch } from "./client-harness.js";

const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const UNLISTED_ROLE = "arn:aws:iam::123456789012:role/NotAllowed";
const ASSUMED_ROLE_ARN = "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idcgw-apl-222222222222";
const FIVE_MINUTES_MS = 300_000;

let emulator: TestEmulator;
let gateway: GatewayProcess;
const managers: TokenManager[] = [];
const stsClients: STSClient[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  gateway = await startClientGateway(emulator, {
    DEFAULT_ROLE_ARN: ROLE,
    // Every test signs in from 127.0.0.1: the per-caller budget would count them all as one busy user.
    RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
  });
}, 60_000);

afterAll(async () => {
  for (const client of stsClients) client.destroy();
  await gateway?.stop();
  await emulator?.stop();
});

afterEach(async () => {
  for (const manager of managers.splice(0)) manager.close();
  await emulator.dev.clearFaults();
});

/** A clock that runs with real time and can be moved to any instant. */
function movableClock() {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    moveTo(instant: number) {
      offsetMs = instant - Date.now();
    },
  };
}

async function signedInManager(sub: string, calls: CountingFetch): Promise<TokenManager> {
  const manager = new TokenManager({ endpoint: gateway.url, fetch: calls.fetch, locks: null, channelName: null, refreshSkewMs: 0 });
  managers.push(manager);
  await manager.signIn({ grantType: "JWT_BEARER", assertion: (await emulator.dev.assertion({ sub })).assertion });
  return manager;
}

function providerFor(manager: TokenManager, calls: CountingFetch, options: Partial<CredentialsProviderOptions> = {}) {
  return createCredentialsProvider({
    endpoint: gateway.url,
    fetch: calls.fetch,
    identityContext: () => manager.tokens?.awsAdditionalDetails?.identityContext,
    ...options,
  });
}

/** The SDK's own type for `credentials`: a provider that type-checks here is one a browser app can pass as is. */
function stsClient(credentials: NonNullable<STSClientConfig["credentials"]>): STSClient {
  const client = new STSClient({ endpoint: emulator.url, region: emulator.region, maxAttempts: 1, credentials });
  stsClients.push(client);
  return client;
}

const stsCalls = async () => {
  const { calls } = await emulator.dev.stats();
  return { AssumeRole: calls.AssumeRole, GetCallerIdentity: calls.GetCallerIdentity };
};

describe("the credentials provider as the AWS SDK's `credentials`", () => {
  it("signs GetCallerIdentity with identity-enhanced credentials that name the assumed role and carry the signed-in user", async () => {
    const calls = countingFetch();
    const manager = await signedInManager("alice", calls);
    const provider = providerFor(manager, calls);
    const sts = stsClient(provider);
    const before = await stsCalls();

    const identity = await sts.send(new GetCallerIdentityCommand({}));
    await sts.send(new GetCallerIdentityCommand({}));

    expect(identity.Arn).toBe(ASSUMED_ROLE_ARN);
    expect(identity.Account).toBe("123456789012");
    const credentials = await provider();
    expect(credentials).toEqual({
      accessKeyId: expect.stringMatching(/^ASIA/),
      secretAccessKey: expect.any(String),
      sessionToken: expect.any(String),
      expiration: expect.any(Date),
    });
    const session = await emulator.dev.stsSession(credentials.accessKeyId);
    expect(session).toMatchObject({ roleArn: ROLE, identityCenter: { sub: "alice" } });
    expect(credentials.expiration.toISOString()).toBe(session.expiration);
    // Memoized: two signed requests and a direct call cost one renewal, one STS AssumeRole.
    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials"]);
    expect(await stsCalls()).toEqual({ AssumeRole: before.AssumeRole + 1, GetCallerIdentity: before.GetCallerIdentity + 2 });
  });

  it("adopts the credentials selected with the exchange (one round trip) and signs with them without a renewal", async () => {
    const calls = countingFetch();
    const assertion = (await emulator.dev.assertion({ sub: "bob" })).assertion;
    const { createTokenWithIAM: signedIn } = await executeOperation({ endpoint: gateway.url, fetch: calls.fetch }, ExchangeTokenWithCredentialsDocument, {
      input: { grantType: "JWT_BEARER", assertion },
      durationSeconds: 900,
    });
    const identityContext = signedIn.awsAdditionalDetails?.identityContext;
    expect([typeof identityContext, signedIn.awsCredentials?.roleArn]).toEqual(["string", ROLE]);
    const provider = createCredentialsProvider({ endpoint: gateway.url, fetch: calls.fetch, identityContext: () => identityContext });
    provider.adopt(signedIn.awsCredentials!, identityContext!);

    const identity = await stsClient(provider).send(new GetCallerIdentityCommand({}));

    expect(identity.Arn).toBe(signedIn.awsCredentials!.assumedRoleArn);
    expect((await provider()).accessKeyId).toBe(signedIn.awsCredentials!.accessKeyId);
    expect(calls.operations).toEqual(["ExchangeTokenWithCredentials"]);
    expect((await emulator.dev.stsSession(signedIn.awsCredentials!.accessKeyId)).identityCenter).toMatchObject({ sub: "bob" });
  });
});

describe("renewal", () => {
  it("renews five minutes before expiration, not sooner, and then holds what it got", async () => {
    const calls = countingFetch();
    const clock = movableClock();
    const provider = providerFor(await signedInManager("carol", calls), calls, { now: clock.now });
    const first = await provider();
    const renewalPoint = first.expiration.getTime() - FIVE_MINUTES_MS;

    clock.moveTo(renewalPoint - 60_000);
    expect(await provider()).toEqual(first);
    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials"]);

    // Past the renewal point by more than a request's latency (the provider counts from its receipt).
    clock.moveTo(renewalPoint + 5_000);
    const renewed = await provider();
    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials", "RenewCredentials"]);
    // The gateway still holds these credentials (cached while at least half their life remains),
    // so it answers with them and a fresh secondsRemaining: the provider keeps them and asks no more.
    expect(await provider()).toEqual(renewed);
    expect(calls.operations).toHaveLength(3);
    expect((await stsClient(provider).send(new GetCallerIdentityCommand({}))).Arn).toBe(ASSUMED_ROLE_ARN);
  });

  it("shares one renewal among concurrent calls, first and ahead of expiration", async () => {
    const calls = countingFetch();
    const clock = movableClock();
    const provider = providerFor(await signedInManager("dave", calls), calls, { now: clock.now });

    const firstRound = await Promise.all([provider(), provider(), provider(), provider(), provider()]);
    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials"]);
    expect(new Set(firstRound.map((credentials) => credentials.accessKeyId)).size).toBe(1);

    clock.moveTo(firstRound[0]!.expiration.getTime() - FIVE_MINUTES_MS + 5_000);
    const secondRound = await Promise.all([provider(), provider(), provider()]);
    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials", "RenewCredentials"]);
    expect(new Set(secondRound.map((credentials) => credentials.accessKeyId)).size).toBe(1);
  });

  it("renews with the current token set's identity context: after a refresh, and at once for another user's sign-in", async () => {
    const calls = countingFetch();
    const clock = movableClock();
    const manager = await signedInManager("erin", calls);
    const provider = providerFor(manager, calls, { now: clock.now });
    const first = await provider();

    const refreshed = await manager.refresh();
    expect(await provider()).toEqual(first);
    clock.moveTo(first.expiration.getTime() - FIVE_MINUTES_MS + 5_000);
    const renewed = await provider();
    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials", "RefreshTokens", "RenewCredentials"]);
    expect(calls.variables[3]).toEqual({ input: { identityContext: refreshed.awsAdditionalDetails?.identityContext } });
    expect((await emulator.dev.stsSession(renewed.accessKeyId)).identityCenter).toMatchObject({ sub: "erin" });

    // Another user signs in on this manager (no sign-out in between). Erin's credentials are far from
    // their renewal point, yet Frank never gets them: the provider renews at once with his context.
    const frank = await manager.signIn({ grantType: "JWT_BEARER", assertion: (await emulator.dev.assertion({ sub: "frank" })).assertion });
    const franks = await provider();
    expect(franks.accessKeyId).not.toBe(renewed.accessKeyId);
    expect(calls.variables.at(-1)).toEqual({ input: { identityContext: frank.awsAdditionalDetails?.identityContext } });
    expect((await emulator.dev.stsSession(franks.accessKeyId)).identityCenter).toMatchObject({ sub: "frank" });
    expect((await stsClient(provider).send(new GetCallerIdentityCommand({}))).Arn).toBe(ASSUMED_ROLE_ARN);

    manager.signOut();
    await expect(provider()).rejects.toBeInstanceOf(SignedOutError);
  });
});

describe("errors by extensions.code", () => {
  it("treats a refusal as final for the identity context: the same error again, without another request", async () => {
    const calls = countingFetch();
    const provider = providerFor(await signedInManager("grace", calls), calls, { roleArn: UNLISTED_ROLE });
    const before = await stsCalls();

    const first = await provider().catch((error: unknown) => error);
    const second = await provider().catch((error: unknown) => error);

    expect(first).toBeInstanceOf(GatewayRequestError);
    expect(first).toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "input.roleArn" } });
    expect(second).toBe(first);
    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials"]);
    expect((await stsCalls()).AssumeRole).toBe(before.AssumeRole);
  });

  it("keeps the tokens of an exchange whose credentials were refused: the error carries the partial data", async () => {
    const assertion = (await emulator.dev.assertion({ sub: "judy" })).assertion;
    const error = await executeOperation({ endpoint: gateway.url }, ExchangeTokenWithCredentialsDocument, {
      input: { grantType: "JWT_BEARER", assertion }, roleArn: UNLISTED_ROLE,
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GatewayRequestError);
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "roleArn" } });
    const data = (error as GatewayRequestError).data as { createTokenWithIAM: { accessToken: string; refreshToken: string; awsCredentials: null } };
    expect(data.createTokenWithIAM).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String), awsCredentials: null });
  });

  it("retries an STS failure (UPSTREAM_SERVER_ERROR) after a backoff and returns the credentials of the retry", async () => {
    const calls = countingFetch();
    // A short backoff suits this one-process gateway; with REDIS_URL it shares a failure with identical requests for about a second (keep the default 1 s).
    const provider = providerFor(await signedInManager("heidi", calls), calls, { backoff: { initialDelayMs: 10, maxDelayMs: 10 } });
    await emulator.dev.addFault({ operation: "AssumeRole", exception: "InternalFailure", count: 1 });
    const before = await stsCalls();

    const credentials = await provider();

    expect(calls.operations).toEqual(["ExchangeToken", "RenewCredentials", "RenewCredentials"]);
    expect((await stsCalls()).AssumeRole).toBe(before.AssumeRole + 2);
    expect((await emulator.dev.stsSession(credentials.accessKeyId)).identityCenter).toMatchObject({ sub: "heidi" });
  });

  it("serves the held credentials while a renewal fails transiently, and asks again only after the backoff", async () => {
    const calls = countingFetch();
    const clock = movableClock();
    const assertion = (await emulator.dev.assertion({ sub: "ivan" })).assertion;
    const { createTokenWithIAM: signedIn } = await executeOperation({ endpoint: gateway.url, fetch: calls.fetch }, ExchangeTokenWithCredentialsDocument, {
      input: { grantType: "JWT_BEARER", assertion },
    });
    const identityContext = signedIn.awsAdditionalDetails!.identityContext!;
    // Renewals ask for 900-second sessions: not the exchange's 3600, which the gateway holds in its cache, so they reach STS.
    const provider = createCredentialsProvider({
      endpoint: gateway.url, fetch: calls.fetch, identityContext: () => identityContext, durationSeconds: 900, now: clock.now,
      backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    provider.adopt(signedIn.awsCredentials!, identityContext);
    const held = await provider();
    await emulator.dev.addFault({ operation: "AssumeRole", exception: "InternalFailure", count: 1 });
    const renewalPoint = held.expiration.getTime() - FIVE_MINUTES_MS + 5_000;

    clock.moveTo(renewalPoint);
    expect(await provider()).toEqual(held);
    expect(await provider()).toEqual(held);
    expect(calls.operations).toEqual(["ExchangeTokenWithCredentials", "RenewCredentials"]);

    // Equal jitter: the next try comes between half the delay and the whole of it.
    clock.moveTo(renewalPoint + 60_000);
    const renewed = await provider();
    expect(calls.operations).toEqual(["ExchangeTokenWithCredentials", "RenewCredentials", "RenewCredentials"]);
    expect(renewed.accessKeyId).not.toBe(held.accessKeyId);
    expect((await emulator.dev.stsSession(renewed.accessKeyId)).identityCenter).toMatchObject({ sub: "ivan" });
  });
});

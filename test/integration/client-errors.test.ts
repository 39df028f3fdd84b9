import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import { dataOf, graphql, onlyError } from "../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import { CREATE_TOKEN_MINIMAL, DEFAULT_CLIENT_ID } from "../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * Errors that need applications the default emulator does not have: a separately started
 * emulator with its own configuration, and the gateway pointed at it with SSO_OIDC_ENDPOINT
 * (endpoint mode). The gateway allows every application below; the emulator decides.
 */

const APPLICATION = (id: string) => `arn:aws:sso::123456789012:application/ssoins-111111111111/apl-${id}`;
const WITHOUT_JWT_BEARER = APPLICATION("333333333333");
const RATE_LIMITED = APPLICATION("444444444444");
const UNKNOWN_TO_EMULATOR = APPLICATION("555555555555");
const ALLOWED_CLIENT_IDS = [DEFAULT_CLIENT_ID, WITHOUT_JWT_BEARER, RATE_LIMITED, UNKNOWN_TO_EMULATOR];

let emulatorServer: Awaited<ReturnType<typeof startEmulator>>;
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  emulatorServer = await startEmulator({
    port: 0,
    config: {
      applications: [
        { clientId: DEFAULT_CLIENT_ID },
        { clientId: WITHOUT_JWT_BEARER, grants: ["authorization_code", "refresh_token"] },
        { clientId: RATE_LIMITED, rateLimitPerSecond: 1 },
      ],
    },
  });
  gateway = await startGateway({
    env: {
      SSO_OIDC_ENDPOINT: emulatorServer.url,
      AWS_REGION: emulatorServer.region,
      AWS_ACCESS_KEY_ID: emulatorServer.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulatorServer.credentials.secretAccessKey,
      ALLOWED_CLIENT_IDS: ALLOWED_CLIENT_IDS.join(","),
      // One attempt per call, so upstream calls are counted exactly (throttling would otherwise be retried).
      UPSTREAM_MAX_ATTEMPTS: "1",
    },
  });
  emulator = emulatorApi(emulatorServer.url);
});
afterAll(async () => {
  await gateway?.stop();
  await emulatorServer?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

async function jwtExchange(clientId: string) {
  const assertion = await emulator.mintAssertion({ sub: "alice" });
  return { assertion, result: await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion, clientId } }) };
}

describe("endpoint mode", () => {
  it("logs no emulatorUrl and reports ENDPOINT mode with every allowed application", async () => {
    expect(gateway.readyLog.emulatorUrl).toBeUndefined();
    const info = dataOf(await graphql(gateway.url, `{ gateway { upstreamMode region defaultClientId allowedClientIds } }`)).gateway;
    expect(info).toEqual({
      upstreamMode: "ENDPOINT",
      region: emulatorServer.region,
      defaultClientId: DEFAULT_CLIENT_ID,
      allowedClientIds: expect.arrayContaining(ALLOWED_CLIENT_IDS),
    });
  });

  it("signs CreateTokenWithIAM with the configured credentials: a JWT exchange succeeds", async () => {
    const { result } = await jwtExchange(DEFAULT_CLIENT_ID);
    expect(dataOf(result).createTokenWithIAM.accessToken).toMatch(/^aoa/);
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });
});

describe("errors the emulator's applications cause", () => {
  it("an allowed clientId the upstream does not know → INVALID_CLIENT with AWS's description and request id", async () => {
    const { assertion, result } = await jwtExchange(UNKNOWN_TO_EMULATOR);
    const error = onlyError(result);
    expect(error.extensions).toMatchObject({ code: "INVALID_CLIENT", awsException: "InvalidClientException", retryable: false });
    expect(error.extensions?.awsErrorDescription).toEqual(expect.stringMatching(/\S/));
    expect(error.extensions?.awsRequestId).toEqual(expect.stringMatching(/\S/));
    expect(result.text).not.toContain(assertion);
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });

  it("an application that does not allow the JWT bearer grant → UNAUTHORIZED_CLIENT", async () => {
    const { assertion, result } = await jwtExchange(WITHOUT_JWT_BEARER);
    const error = onlyError(result);
    expect(error.extensions).toMatchObject({ code: "UNAUTHORIZED_CLIENT", awsException: "UnauthorizedClientException", retryable: false });
    expect(error.extensions?.awsRequestId).toEqual(expect.stringMatching(/\S/));
    expect(result.text).not.toContain(assertion);
    expect(await emulator.createTokenWithIAMCalls()).toBe(1);
  });

  it("more calls than the application's rateLimitPerSecond → SLOW_DOWN, retryable", async () => {
    // Three calls sent together: with a limit of 1/s at least two land in the same second.
    const assertions = await Promise.all([1, 2, 3].map((n) => emulator.mintAssertion({ sub: `user-${n}` })));
    const results = await Promise.all(
      assertions.map((assertion) => graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion, clientId: RATE_LIMITED } })),
    );
    const codes = results.map((result) => result.body.errors?.[0]?.extensions?.code ?? "OK");
    expect(codes).toContain("OK");
    expect(codes).toContain("SLOW_DOWN");
    expect(codes.filter((code) => code !== "OK" && code !== "SLOW_DOWN")).toEqual([]);
    const slowDown = results.find((result) => result.body.errors?.[0]?.extensions?.code === "SLOW_DOWN")!;
    expect(onlyError(slowDown).extensions).toMatchObject({ awsException: "SlowDownException", retryable: true });
    for (const assertion of assertions) expect(slowDown.text).not.toContain(assertion);
    expect(await emulator.createTokenWithIAMCalls()).toBe(3);
  });
});

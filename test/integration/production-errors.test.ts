import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import { graphql, onlyError } from "../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import { CREATE_TOKEN_MINIMAL } from "../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * NODE_ENV=production: errors carry codes but never stack traces, the gateway's own faults are
 * masked, and introspection is off by default. Two gateways share one emulator: one correctly
 * configured, one holding a wrong AWS secret key (its own misconfiguration, which callers cannot fix:
 * GATEWAY_CREDENTIALS_INVALID, /readyz not ready with the cause from its start, one error line).
 */

const GATEWAY_SECRET = "production-test-secret-0123456789abcdef0123456789";
const WRONG_SECRET_ACCESS_KEY = "wrongSecretKeyForTheGatewayOnlyDoNotLeakXYZ";

let emulatorServer: Awaited<ReturnType<typeof startEmulator>>;
let gateway: GatewayProcess;
let misconfigured: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  emulatorServer = await startEmulator({ port: 0 });
  emulator = emulatorApi(emulatorServer.url);
  const env = (secretAccessKey: string) => ({
    NODE_ENV: "production",
    GATEWAY_SECRET,
    SSO_OIDC_ENDPOINT: emulatorServer.url,
    AWS_REGION: emulatorServer.region,
    AWS_ACCESS_KEY_ID: emulatorServer.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    // Several exchanges from one address: the per-caller upstream budget has its own tests.
    RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
  });
  [gateway, misconfigured] = await Promise.all([
    startGateway({ env: env(emulatorServer.credentials.secretAccessKey) }),
    startGateway({ env: env(WRONG_SECRET_ACCESS_KEY) }),
  ]);
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), misconfigured?.stop()]);
  await emulatorServer?.stop();
});

describe("errors in production carry no stack trace", () => {
  it("BAD_USER_INPUT has no stacktrace extension", async () => {
    const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER" } });
    const error = onlyError(result);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.extensions).not.toHaveProperty("stacktrace");
  });

  it("INVALID_GRANT from AWS has no stacktrace extension and keeps AWS's description and request id", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice", aud: "someone-else" });
    const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } });
    const error = onlyError(result);
    expect(error.extensions?.code).toBe("INVALID_GRANT");
    expect(error.extensions).not.toHaveProperty("stacktrace");
    expect(error.extensions?.awsErrorDescription).toEqual(expect.stringMatching(/\S/));
    expect(error.extensions?.awsRequestId).toEqual(expect.stringMatching(/\S/));
    expect(result.text).not.toContain(assertion);
  });

  it("GRAPHQL_VALIDATION_FAILED has no stacktrace extension", async () => {
    const error = onlyError(await graphql(gateway.url, `{ gateway { noSuchField } }`));
    expect(error.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(error.extensions).not.toHaveProperty("stacktrace");
  });

  it("introspection is off by default", async () => {
    const error = onlyError(await graphql(gateway.url, `{ __schema { queryType { name } } }`));
    expect(error.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

const SIGNATURE_REFUSED = "gateway AWS credentials: AWS rejected the gateway's request signature (SignatureDoesNotMatch, HTTP 403): the secret access key does not match the access key id, or the clock is off";

describe("the gateway's own misconfiguration (AWS rejects its signature)", () => {
  it("is not ready from its start, before any exchange: STS GetCallerIdentity refused its signature, logged at error once", async () => {
    const readyz = await fetch(new URL("/readyz", misconfigured.url));
    expect(readyz.status).toBe(503);
    expect(((await readyz.json()) as { checks: Record<string, unknown> }).checks.upstream).toEqual({ ok: false, detail: SIGNATURE_REFUSED });
    const errorLines = misconfigured.logLines().filter((line) => line.level === 50 || line.level === "error");
    expect(errorLines).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^AWS rejected the gateway's own AWS credentials/), cause: "bad-signature" })]);
    expect(misconfigured.output()).not.toContain("verified");
  });

  it("answers GATEWAY_CREDENTIALS_INVALID (not INTERNAL_SERVER_ERROR) with no stacktrace and no credential; /readyz names the cause; one error line for several requests", async () => {
    const assertions = await Promise.all([1, 2, 3].map((i) => emulator.mintAssertion({ sub: `alice-${i}` })));
    const callsBefore = await emulator.createTokenWithIAMCalls();
    for (const assertion of assertions) {
      const result = await graphql(misconfigured.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } });
      const error = onlyError(result);
      expect(error.extensions).toEqual({ code: "GATEWAY_CREDENTIALS_INVALID", retryable: false, awsRequestId: expect.stringMatching(/\S/) });
      expect(error.message).toBe("The gateway's own AWS credentials are missing or were rejected by AWS; an operator must fix them (see /readyz).");
      expect(result.text).not.toContain(assertion);
      expect(result.text).not.toContain(WRONG_SECRET_ACCESS_KEY);
    }
    expect(await emulator.createTokenWithIAMCalls()).toBe(callsBefore + assertions.length);

    const readyz = await fetch(new URL("/readyz", misconfigured.url));
    expect(readyz.status).toBe(503);
    // The same cause as at start (SSO OIDC calls it InvalidSignatureException): the state and its one log line stand.
    expect(((await readyz.json()) as { checks: Record<string, unknown> }).checks.upstream).toEqual({ ok: false, detail: SIGNATURE_REFUSED });

    const errorLines = misconfigured.logLines().filter((line) => line.level === 50 || line.level === "error");
    expect(errorLines).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^AWS rejected the gateway's own AWS credentials/), cause: "bad-signature" })]);
    expect(misconfigured.output()).not.toContain(WRONG_SECRET_ACCESS_KEY);
    for (const assertion of assertions) expect(misconfigured.output()).not.toContain(assertion);
  });

  it("the correctly configured gateway stays ready, and logged whose credentials it verified at start", async () => {
    expect((await fetch(new URL("/readyz", gateway.url))).status).toBe(200);
    expect(gateway.logLines().filter((line) => line.msg === "the gateway's AWS credentials are verified (STS GetCallerIdentity)")).toEqual([
      expect.objectContaining({ level: 30, principalArn: expect.stringMatching(/^arn:aws:(iam|sts)::\d{12}:/), credentialSource: "default chain" }),
    ]);
  });
});

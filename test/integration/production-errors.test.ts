import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import { graphql, onlyError } from "../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../support/gateway-emulator-api.js";
import { CREATE_TOKEN_MINIMAL } from "../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * NODE_ENV=production: errors carry codes but never stack traces, the gateway's own faults are
 * masked, and introspection is off by default. Two gateways share one emulator: one correctly
 * configured, one holding a wrong AWS secret key (its own misconfiguration, which callers cannot fix).
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

describe("the gateway's own misconfiguration (AWS rejects its signature)", () => {
  it("answers INTERNAL_SERVER_ERROR, masked, with no stacktrace and no credential, and logs it at error level", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const result = await graphql(misconfigured.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } });
    const error = onlyError(result);
    expect(error.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    // Masked: the generic message of the error table, nothing about signatures or keys.
    expect(error.message).toMatch(/^Internal server error\.?$/);
    expect(error.extensions).not.toHaveProperty("stacktrace");
    expect(result.text).not.toContain(assertion);
    expect(result.text).not.toContain(WRONG_SECRET_ACCESS_KEY);

    await new Promise((resolve) => setTimeout(resolve, 100)); // let the log line reach the pipe
    expect(misconfigured.logLines().some((line) => line.level === 50 || line.level === "error")).toBe(true);
    expect(misconfigured.output()).not.toContain(WRONG_SECRET_ACCESS_KEY);
    expect(misconfigured.output()).not.toContain(assertion);
  });
});

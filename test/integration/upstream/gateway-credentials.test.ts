import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { graphql, onlyError } from "../../support/gateway-client.js";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { CREATE_TOKEN_MINIMAL } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * UPSTREAM=aws with no AWS credentials anywhere: empty shared credentials and config files, no
 * AWS_* keys, instance metadata disabled, so the SDK's default chain fails at once, locally. The
 * gateway starts not ready and says why; every exchange answers GATEWAY_CREDENTIALS_INVALID without
 * a request to AWS (signing needs credentials first), and the cause is logged at error once.
 */

const MISSING_REASON = /^gateway AWS credentials: no AWS credentials: the SDK's default credential chain found none \(CredentialsProviderError\); nothing was sent to AWS\. /;

let directory: string;
let gateway: GatewayProcess;
let emulator: RunningEmulator;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "gateway-no-credentials-"));
  for (const file of ["credentials", "config"]) writeFileSync(join(directory, file), "");
  // Only to mint well-formed assertions: the gateway itself is pointed at AWS, not at this emulator.
  emulator = await startEmulator({ port: 0 });
  gateway = await startGateway({
    env: {
      UPSTREAM: "aws",
      AWS_REGION: "us-east-1",
      AWS_SHARED_CREDENTIALS_FILE: join(directory, "credentials"),
      AWS_CONFIG_FILE: join(directory, "config"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined, AWS_ROLE_ARN: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined, AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
      RATE_LIMIT_APP_PER_SECOND: "0",
    },
  });
});
afterAll(async () => {
  await gateway?.stop();
  await emulator?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe("a gateway in front of AWS with no credentials", () => {
  it("starts, but /readyz is not ready and names the missing credentials", async () => {
    const response = await fetch(new URL("/readyz", gateway.url));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.checks.upstream).toEqual({ ok: false, detail: expect.stringMatching(MISSING_REASON) });
  });

  it("answers every exchange GATEWAY_CREDENTIALS_INVALID, and logs the cause at error once, naming it (not as AWS refusing the request)", async () => {
    const api = emulatorApi(emulator.url);
    for (let i = 0; i < 3; i++) {
      const assertion = await api.mintAssertion({ sub: `alice-${i}` });
      const result = await graphql(gateway.url, CREATE_TOKEN_MINIMAL, { input: { grantType: "JWT_BEARER", assertion } });
      const { stacktrace: _devOnly, ...extensions } = onlyError(result).extensions ?? {};
      expect(extensions).toEqual({ code: "GATEWAY_CREDENTIALS_INVALID", retryable: false });
    }
    const errorLines = gateway.logLines().filter((line) => line.level === 50 || line.level === "error");
    expect(errorLines).toEqual([
      expect.objectContaining({
        msg: "the gateway has no AWS credentials: exchanges answer GATEWAY_CREDENTIALS_INVALID and /readyz is not ready until they are provided",
        cause: "missing",
        credentialSource: "default chain",
      }),
    ]);
    expect(gateway.output()).not.toContain("refused the gateway's own request");
    // Nothing reached the network: the only upstream-side lines are the credential ones (no timeout, no connection error).
    expect(gateway.logLines().filter((line) => line.msg === "CreateTokenWithIAM failed upstream")).toEqual([]);
  });
});

/**
 * A second client, botocore through the AWS CLI v1, on the authorization-code flow with PKCE:
 * `aws sso-oidc register-client` as CLI v2's `aws sso login` registers, a code for its loopback
 * port from the developer API, `create-token` with the verifier, then refresh; and two RegisterClient
 * refusals read as the model's exceptions.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { pkce } from "../support/emulator-flows.js";
import { callbackAt, CLI_REDIRECT_URI, START_URL } from "../support/emulator-public-clients.js";
import { awsCliEnv } from "../support/aws-cli-env.js";
import { describeNeeding, probeAwsCli } from "../support/test-dependencies.js";

const runFile = promisify(execFile);

describeNeeding(probeAwsCli(), "the AWS CLI (botocore) on CreateToken with PKCE", () => {
  let h: TestEmulator;
  beforeAll(async () => {
    h = await startTestEmulator();
  });
  afterAll(() => h?.stop());

  /**
   * `aws sso-oidc <operation> --cli-input-json …` with no profile or config file, against the
   * emulator (JSON input, because CLI v1 fetches URL-looking arguments such as --redirect-uris).
   */
  async function oidc(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const env = awsCliEnv(h);
    const args = ["sso-oidc", operation, "--cli-input-json", JSON.stringify(input), "--endpoint-url", h.url, "--output", "json"];
    const { stdout } = await runFile("aws", args, { env });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  async function failure(operation: string, input: Record<string, unknown>): Promise<{ code: number; stderr: string }> {
    return oidc(operation, input).then(
      (out) => {
        throw new Error(`expected a failure, got ${JSON.stringify(Object.keys(out))}`);
      },
      (error: { code: number; stderr: string }) => error,
    );
  }

  const cliRegistration = (overrides: Record<string, unknown>) => ({
    clientName: "botocore-client-cli",
    clientType: "public",
    issuerUrl: START_URL,
    scopes: ["sso:account:access"],
    grantTypes: ["authorization_code", "refresh_token"],
    redirectUris: [CLI_REDIRECT_URI],
    ...overrides,
  });

  async function codeFor(clientId: string, redirectUri: string, challenge: string): Promise<string> {
    return (await h.dev.authorize({ clientId, redirectUri, sub: "alice", codeChallenge: challenge, codeChallengeMethod: "S256" })).code;
  }

  it("registers, exchanges a code with the verifier, and refreshes", async () => {
    const registered = await oidc("register-client", cliRegistration({}));
    expect(registered.authorizationEndpoint).toBe(`${h.url}/authorize`);
    expect(registered.tokenEndpoint).toBe(`${h.url}/token`);
    const client = { clientId: registered.clientId, clientSecret: registered.clientSecret };

    const challenge = pkce("S256");
    const redirectUri = callbackAt(40_123);
    const code = await codeFor(client.clientId as string, redirectUri, challenge.challenge);
    const tokens = await oidc("create-token", { ...client, grantType: "authorization_code", code, redirectUri, codeVerifier: challenge.verifier });
    expect(tokens.tokenType).toBe("Bearer");
    expect(tokens.expiresIn).toBe(3600);
    expect(tokens.accessToken).toMatch(/^aoa-us-east-1:/);
    expect(tokens.refreshToken).toMatch(/^aor-us-east-1:/);

    const refreshed = await oidc("create-token", { ...client, grantType: "refresh_token", refreshToken: tokens.refreshToken });
    expect(refreshed.accessToken).toMatch(/^aoa-us-east-1:/);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
  });

  it("reads a wrong verifier as InvalidGrantException", async () => {
    const registered = await oidc("register-client", cliRegistration({ grantTypes: ["authorization_code"] }));
    const redirectUri = callbackAt(40_124);
    const code = await codeFor(registered.clientId as string, redirectUri, pkce("S256").challenge);
    const e = await failure("create-token", {
      clientId: registered.clientId,
      clientSecret: registered.clientSecret,
      grantType: "authorization_code",
      code,
      redirectUri,
      codeVerifier: pkce("S256").verifier,
    });
    expect(e.code).not.toBe(0);
    expect(e.stderr.trim()).toMatch(/^An error occurred \(InvalidGrantException\) when calling the CreateToken operation/);
  });

  it("reads a password grant type as UnsupportedGrantTypeException", async () => {
    const e = await failure("register-client", cliRegistration({ grantTypes: ["password"] }));
    expect(e.code).not.toBe(0);
    expect(e.stderr.trim()).toMatch(/^An error occurred \(UnsupportedGrantTypeException\) when calling the RegisterClient operation/);
  });

  it("reads a non-loopback http redirect URI as InvalidRedirectUriException", async () => {
    const e = await failure("register-client", cliRegistration({ redirectUris: ["http://app.example/cb"] }));
    expect(e.code).not.toBe(0);
    expect(e.stderr.trim()).toMatch(/^An error occurred \(InvalidRedirectUriException\) when calling the RegisterClient operation/);
  });
});

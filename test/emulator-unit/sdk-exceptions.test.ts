import * as sdk from "@aws-sdk/client-sso-oidc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_APPLICATION_ARN, startEmulator, type RunningEmulator } from "../../src/emulator/index.js";

const LIMITED_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-limited";
let emulator: RunningEmulator;
let other: RunningEmulator;
let client: sdk.SSOOIDCClient;

beforeAll(async () => {
  [emulator, other] = await Promise.all([
    startEmulator({
      port: 0,
      config: {
        applications: [
          { clientId: DEFAULT_APPLICATION_ARN },
          { clientId: LIMITED_APP, grants: ["refresh_token"], scopes: ["openid"], rateLimitPerSecond: 2 },
        ],
      },
    }),
    startEmulator({ port: 0, region: "eu-west-1" }),
  ]);
  client = new sdk.SSOOIDCClient({ endpoint: emulator.url, region: emulator.region, credentials: emulator.credentials, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await Promise.all([emulator.stop(), other.stop()]);
});

async function devApi(target: RunningEmulator, path: string, body: unknown): Promise<Record<string, string>> {
  const response = await fetch(`${target.url}/_emulator/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, string>;
}

const iam = (input: sdk.CreateTokenWithIAMCommandInput) => client.send(new sdk.CreateTokenWithIAMCommand(input)).catch((error: unknown) => error);
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";

describe("each model exception reaches the SDK as its own class", () => {
  it("InvalidRequestException for a grant without its member", async () => {
    const error = await iam({ clientId: DEFAULT_APPLICATION_ARN, grantType: jwtBearer });
    expect(error).toBeInstanceOf(sdk.InvalidRequestException);
    expect(error).toMatchObject({ error: "invalid_request", error_description: `assertion is required for grant type ${jwtBearer}.` });
  });

  it("UnauthorizedClientException, InvalidScopeException and SlowDownException from the application's settings", async () => {
    expect(await iam({ clientId: LIMITED_APP, grantType: jwtBearer, assertion: "x" })).toBeInstanceOf(sdk.UnauthorizedClientException);
    expect(await iam({ clientId: DEFAULT_APPLICATION_ARN, grantType: jwtBearer, assertion: "x", scope: ["admin"] })).toBeInstanceOf(sdk.InvalidScopeException);
    // Five calls against a budget of two per second: even straddling a second boundary, one is refused.
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => iam({ clientId: LIMITED_APP, grantType: "refresh_token", refreshToken: "aor-us-east-1:nope" })));
    expect(burst.map((error) => (error as Error).name)).toContain("SlowDownException");
  });

  it("InvalidGrantException naming the failed check for an expired assertion", async () => {
    const { assertion } = await devApi(emulator, "assertions", { sub: "alice", expiresInSeconds: -60 });
    const error = await iam({ clientId: DEFAULT_APPLICATION_ARN, grantType: jwtBearer, assertion });
    expect(error).toBeInstanceOf(sdk.InvalidGrantException);
    expect(error).toMatchObject({ error_description: "The assertion has expired (exp is in the past)." });
  });

  it("InvalidRequestRegionException with endpoint and region for another region's token", async () => {
    const { assertion } = await devApi(other, "assertions", { sub: "alice" });
    const otherClient = new sdk.SSOOIDCClient({ endpoint: other.url, region: other.region, credentials: other.credentials });
    const tokens = await otherClient.send(new sdk.CreateTokenWithIAMCommand({ clientId: DEFAULT_APPLICATION_ARN, grantType: jwtBearer, assertion }));
    otherClient.destroy();
    const error = await iam({ clientId: DEFAULT_APPLICATION_ARN, grantType: "refresh_token", refreshToken: tokens.refreshToken });
    expect(error).toBeInstanceOf(sdk.InvalidRequestRegionException);
    expect(error).toMatchObject({ error: "invalid_request", region: "eu-west-1", endpoint: "https://oidc.eu-west-1.amazonaws.com" });
  });

  it("InternalServerException (500) and AccessDeniedException with reason from injected faults", async () => {
    await devApi(emulator, "faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    const error = await iam({ clientId: DEFAULT_APPLICATION_ARN, grantType: jwtBearer, assertion: "x" });
    expect(error).toBeInstanceOf(sdk.InternalServerException);
    expect(error).toMatchObject({ $fault: "server", $metadata: { httpStatusCode: 500 }, error: "server_error" });
    await devApi(emulator, "faults", { exception: "AccessDeniedException", reason: "KMS_AccessDeniedException", count: 1 });
    expect(await iam({ clientId: DEFAULT_APPLICATION_ARN, grantType: jwtBearer, assertion: "x" })).toMatchObject({
      name: "AccessDeniedException",
      reason: "KMS_AccessDeniedException",
    });
  });

  it("device flow: InvalidClientMetadata, InvalidRedirectUri, InvalidClient, AuthorizationPending, SlowDown, AccessDenied", async () => {
    const send = <T>(command: object) => (client.send(command as never) as Promise<T>).catch((error: unknown) => error);
    expect(await send(new sdk.RegisterClientCommand({ clientName: "cli", clientType: "confidential" }))).toBeInstanceOf(sdk.InvalidClientMetadataException);
    expect(await send(new sdk.RegisterClientCommand({ clientName: "cli", clientType: "public", redirectUris: ["not a uri"] }))).toBeInstanceOf(sdk.InvalidRedirectUriException);
    const registered = await client.send(new sdk.RegisterClientCommand({ clientName: "cli", clientType: "public" }));
    const auth = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
    expect(await send(new sdk.StartDeviceAuthorizationCommand({ ...auth, clientSecret: "wrong", startUrl: "https://x" }))).toBeInstanceOf(sdk.InvalidClientException);
    const device = await client.send(new sdk.StartDeviceAuthorizationCommand({ ...auth, startUrl: "https://x.awsapps.com/start" }));
    expect(device).toMatchObject({ expiresIn: 600, interval: 1, userCode: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/) });
    const poll = () => send<sdk.CreateTokenCommandOutput>(new sdk.CreateTokenCommand({ ...auth, grantType: "urn:ietf:params:oauth:grant-type:device_code", deviceCode: device.deviceCode }));
    expect(await poll()).toBeInstanceOf(sdk.AuthorizationPendingException);
    expect(await poll()).toBeInstanceOf(sdk.SlowDownException);
    await devApi(emulator, "device/approve", { userCode: device.userCode, sub: "carol" });
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const tokens = (await poll()) as sdk.CreateTokenCommandOutput;
    expect(tokens).toMatchObject({ tokenType: "Bearer", expiresIn: 3600, accessToken: expect.stringMatching(/^aoa-/) });
    const refreshed = await client.send(new sdk.CreateTokenCommand({ ...auth, grantType: "refresh_token", refreshToken: tokens.refreshToken }));
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);

    const denied = await client.send(new sdk.StartDeviceAuthorizationCommand({ ...auth, startUrl: "https://x.awsapps.com/start" }));
    await devApi(emulator, "device/deny", { userCode: denied.userCode });
    expect(await send(new sdk.CreateTokenCommand({ ...auth, grantType: "urn:ietf:params:oauth:grant-type:device_code", deviceCode: denied.deviceCode }))).toBeInstanceOf(sdk.AccessDeniedException);
  });

  it("ExpiredTokenException for an expired subject token", async () => {
    const short = await startEmulator({ port: 0, config: { applications: [{ clientId: DEFAULT_APPLICATION_ARN, accessTokenLifetimeSeconds: 1 }] } });
    const shortClient = new sdk.SSOOIDCClient({ endpoint: short.url, region: short.region, credentials: short.credentials });
    const { assertion } = await devApi(short, "assertions", { sub: "dave" });
    const tokens = await shortClient.send(new sdk.CreateTokenWithIAMCommand({ clientId: DEFAULT_APPLICATION_ARN, grantType: jwtBearer, assertion }));
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const error = await shortClient
      .send(new sdk.CreateTokenWithIAMCommand({
        clientId: DEFAULT_APPLICATION_ARN,
        grantType: "urn:ietf:params:oauth:grant-type:token-exchange",
        subjectToken: tokens.accessToken,
        subjectTokenType: "urn:ietf:params:oauth:token-type:access_token",
      }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sdk.ExpiredTokenException);
    shortClient.destroy();
    await short.stop();
  });
});

/**
 * CreateToken with the authorization-code grant and PKCE, the AWS CLI v2's `aws sso login` flow,
 * through the JS SDK: RegisterClient (authorization_code, loopback redirect), a code from the
 * developer API's /_emulator/authorize (what the sign-in page also calls), CreateToken with the
 * verifier, then refresh. Codes are single-use and bound to the client, the redirect URI and the
 * challenge; CreateToken never answers InvalidRequestRegionException (its model does not list it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateTokenCommand, StartDeviceAuthorizationCommand, type CreateTokenCommandInput, type SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { pkce, type Pkce } from "../support/emulator-flows.js";
import { GRANT } from "../support/emulator-model.js";
import { DevApiError } from "../support/emulator-dev-api.js";
import { callbackAt, registerCodeClient, START_URL, type PublicClient } from "../support/emulator-public-clients.js";

let h: TestEmulator;
let sdk: SSOOIDCClient;

beforeAll(async () => {
  h = await startTestEmulator();
  sdk = h.client();
});
afterAll(async () => {
  await h?.stop();
});

interface Authorized {
  client: PublicClient;
  code: string;
  redirectUri: string;
  challenge: Pkce;
}

async function authorized(method: "S256" | "plain" = "S256", client?: PublicClient): Promise<Authorized> {
  const registered = client ?? (await registerCodeClient(sdk));
  const challenge = pkce(method);
  const redirectUri = callbackAt(43_210);
  const { code } = await h.dev.authorize({
    clientId: registered.clientId,
    redirectUri,
    sub: "alice",
    codeChallenge: challenge.challenge,
    codeChallengeMethod: method,
  });
  return { client: registered, code, redirectUri, challenge };
}

function exchange(a: Authorized, overrides: Partial<CreateTokenCommandInput> = {}) {
  return sdk.send(
    new CreateTokenCommand({
      ...a.client,
      grantType: GRANT.authorizationCode,
      code: a.code,
      redirectUri: a.redirectUri,
      codeVerifier: a.challenge.verifier,
      ...overrides,
    }),
  );
}

describe("the CLI v2 login without a browser", () => {
  it("registers, gets a code for its loopback port, exchanges it with the verifier, then refreshes", async () => {
    const a = await authorized("S256");
    const tokens = await exchange(a);
    expect(tokens.$metadata.httpStatusCode).toBe(200);
    expect(tokens.tokenType).toBe("Bearer");
    expect(tokens.expiresIn).toBe(3600);
    expect(tokens.accessToken).toMatch(/^aoa-us-east-1:/);
    expect(tokens.refreshToken).toMatch(/^aor-us-east-1:/);
    expect(tokens.idToken).toBeUndefined();

    const refreshed = await sdk.send(new CreateTokenCommand({ ...a.client, grantType: GRANT.refreshToken, refreshToken: tokens.refreshToken! }));
    expect(refreshed.accessToken).toMatch(/^aoa-us-east-1:/);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);
    // Rotation: the first refresh token is spent.
    const again = await rejectionOf(sdk.send(new CreateTokenCommand({ ...a.client, grantType: GRANT.refreshToken, refreshToken: tokens.refreshToken! })));
    expectAwsException(again, "InvalidGrantException");
  });

  it("accepts the plain PKCE method", async () => {
    const a = await authorized("plain");
    expect((await exchange(a)).accessToken).toMatch(/^aoa-/);
  });

  it("gives no refresh token to a client registered without the refresh_token grant", async () => {
    const client = await registerCodeClient(sdk, { grantTypes: ["authorization_code"] });
    const tokens = await exchange(await authorized("S256", client));
    expect(tokens.accessToken).toMatch(/^aoa-/);
    expect(tokens.refreshToken).toBeUndefined();
  });
});

describe("codes are single-use and bound", () => {
  it("answers InvalidGrantException to a code used twice", async () => {
    const a = await authorized();
    await exchange(a);
    expectAwsException(await rejectionOf(exchange(a)), "InvalidGrantException");
  });

  it("answers InvalidGrantException to a wrong verifier, without burning the code", async () => {
    const a = await authorized();
    const e = expectAwsException(await rejectionOf(exchange(a, { codeVerifier: pkce("S256").verifier })), "InvalidGrantException");
    expect(e.error_description).toBe("codeVerifier does not match the code challenge (PKCE).");
    expect((await exchange(a)).accessToken).toMatch(/^aoa-/);
  });

  it("answers InvalidGrantException when the verifier is missing", async () => {
    const a = await authorized();
    expectAwsException(await rejectionOf(exchange(a, { codeVerifier: undefined })), "InvalidGrantException");
  });

  it("answers InvalidGrantException when the redirect URI differs from the one the code was issued for (another port)", async () => {
    const a = await authorized();
    const e = expectAwsException(await rejectionOf(exchange(a, { redirectUri: callbackAt(43_211) })), "InvalidGrantException");
    expect(e.error_description).toBe("redirectUri does not match the one the code was issued for.");
  });

  it("answers InvalidGrantException when another client presents the code", async () => {
    const a = await authorized();
    const other = await registerCodeClient(sdk);
    expectAwsException(await rejectionOf(exchange(a, { ...other })), "InvalidGrantException");
  });

  it("answers InvalidRequestException when code or redirectUri is missing", async () => {
    const a = await authorized();
    expectAwsException(await rejectionOf(exchange(a, { code: undefined })), "InvalidRequestException");
    expectAwsException(await rejectionOf(exchange(a, { redirectUri: undefined })), "InvalidRequestException");
  });
});

describe("what the client may do", () => {
  it("answers UnsupportedGrantTypeException to a grant CreateToken does not have", async () => {
    const client = await registerCodeClient(sdk);
    const e = await rejectionOf(sdk.send(new CreateTokenCommand({ ...client, grantType: "password" })));
    expectAwsException(e, "UnsupportedGrantTypeException");
  });

  it("answers UnauthorizedClientException to an authorization code from a device-flow client", async () => {
    const device = await registerCodeClient(sdk, { grantTypes: undefined, redirectUris: undefined, issuerUrl: undefined });
    const e = await rejectionOf(sdk.send(new CreateTokenCommand({ ...device, grantType: GRANT.authorizationCode, code: "x", redirectUri: callbackAt(1) })));
    expectAwsException(e, "UnauthorizedClientException");
  });

  it("answers UnauthorizedClientException to StartDeviceAuthorization from an authorization-code client", async () => {
    const client = await registerCodeClient(sdk);
    const e = await rejectionOf(sdk.send(new StartDeviceAuthorizationCommand({ ...client, startUrl: START_URL })));
    expectAwsException(e, "UnauthorizedClientException");
  });

  it("answers InvalidGrantException, not InvalidRequestRegionException, to a refresh token of another region", async () => {
    const client = await registerCodeClient(sdk);
    const foreign = "aor-eu-west-1:" + "A".repeat(64);
    const e = await rejectionOf(sdk.send(new CreateTokenCommand({ ...client, grantType: GRANT.refreshToken, refreshToken: foreign })));
    expectAwsException(e, "InvalidGrantException");
  });
});

describe("POST /_emulator/authorize for registered public clients", () => {
  async function refusal(request: Parameters<TestEmulator["dev"]["authorize"]>[0]): Promise<string> {
    const e = await rejectionOf(h.dev.authorize(request));
    expect(e).toBeInstanceOf(DevApiError);
    expect((e as DevApiError).status).toBe(400);
    return ((e as DevApiError).body as { error_description: string }).error_description;
  }

  it("refuses a code without a PKCE challenge, a redirect URI the client did not register, and a scope it does not have", async () => {
    const { clientId } = await registerCodeClient(sdk);
    const challenge = pkce("S256").challenge;
    expect(await refusal({ clientId, redirectUri: callbackAt(5000), sub: "alice" })).toBe("codeChallenge: required for public clients (PKCE)");
    expect(await refusal({ clientId, redirectUri: "http://localhost:5000/oauth/callback", sub: "alice", codeChallenge: challenge })).toMatch(/^redirectUri: not registered for the client/);
    expect(await refusal({ clientId, redirectUri: "http://127.0.0.1:5000/other", sub: "alice", codeChallenge: challenge })).toMatch(/^redirectUri: /);
    expect(await refusal({ clientId, redirectUri: callbackAt(5000), sub: "alice", codeChallenge: challenge, scope: ["admin:all"] })).toBe(
      "scope: the client does not have admin:all",
    );
  });

  it("refuses a client id that is neither an application nor a registered client", async () => {
    expect(await refusal({ clientId: "no-such-client", redirectUri: callbackAt(5000), sub: "alice", codeChallenge: "x" })).toBe(
      "clientId: no-such-client is not a configured application or a registered client",
    );
  });

  it("matches an https redirect URI exactly", async () => {
    const client = await registerCodeClient(sdk, { redirectUris: ["https://app.example/callback"] });
    const challenge = pkce("S256");
    expect(await refusal({ clientId: client.clientId, redirectUri: "https://app.example:8443/callback", sub: "alice", codeChallenge: challenge.challenge })).toMatch(/^redirectUri: /);
    const { code } = await h.dev.authorize({ clientId: client.clientId, redirectUri: "https://app.example/callback", sub: "alice", codeChallenge: challenge.challenge, codeChallengeMethod: "S256" });
    const tokens = await exchange({ client, code, redirectUri: "https://app.example/callback", challenge });
    expect(tokens.accessToken).toMatch(/^aoa-/);
  });
});

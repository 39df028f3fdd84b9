import {
  CreateTokenWithIAMCommand,
  InvalidClientException,
  InvalidGrantException,
  SSOOIDCClient,
  UnsupportedGrantTypeException,
} from "@aws-sdk/client-sso-oidc";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";

let emulator: RunningEmulator;
let client: SSOOIDCClient;

async function devApi<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new SSOOIDCClient({ endpoint: emulator.url, region: emulator.region, credentials: emulator.credentials });
});

afterAll(async () => {
  client.destroy();
  await emulator.stop();
});

describe("the real SDK against the emulator", () => {
  it("exchanges a built-in issuer assertion for tokens through the JWT bearer grant", async () => {
    const { assertion } = await devApi<{ assertion: string }>("assertions", { sub: "alice" });
    const out = await client.send(
      new CreateTokenWithIAMCommand({
        clientId: emulator.defaultClientId,
        grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion,
      }),
    );
    expect(out.tokenType).toBe("Bearer");
    expect(out.accessToken).toMatch(/^aoa-us-east-1:/);
    expect(out.refreshToken).toMatch(/^aor-us-east-1:/);
    expect(out.issuedTokenType).toBe("urn:ietf:params:oauth:token-type:refresh_token");
    expect(out.scope).toEqual(["openid", "aws", "sts:identity_context"]);
    expect(out.awsAdditionalDetails?.identityContext).toEqual(expect.any(String));
    const { payload } = await jwtVerify(out.idToken!, createRemoteJWKSet(new URL(`${emulator.url}/_emulator/id-token/jwks.json`)), {
      issuer: "https://identitycenter.amazonaws.com/ssoins-111111111111",
      audience: emulator.defaultClientId,
    });
    expect(payload).toMatchObject({
      sub: "alice",
      "sts:identity_context": out.awsAdditionalDetails?.identityContext,
      "aws:identity_store_id": "d-3333333333",
      "aws:identity_store_arn": "arn:aws:identitystore::111111111111:identitystore/d-3333333333",
      "aws:instance_arn": "arn:aws:sso:::instance/ssoins-111111111111",
      "aws:instance_account": "111111111111",
      "aws:credential_id": expect.any(String),
      "sts:audit_context": expect.any(String),
      auth_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it("redeems an authorization code once, refreshes, and exchanges the access token", async () => {
    const { code } = await devApi<{ code: string }>("authorize", {
      redirectUri: "https://mywebapp.example/redirect",
      sub: "bob",
      codeChallenge: "verifier-verifier-verifier-verifier-verifier-1",
      codeChallengeMethod: "plain",
    });
    const input = {
      clientId: emulator.defaultClientId,
      grantType: "authorization_code",
      code,
      redirectUri: "https://mywebapp.example/redirect",
      codeVerifier: "verifier-verifier-verifier-verifier-verifier-1",
    };
    const first = await client.send(new CreateTokenWithIAMCommand(input));
    const reuse = await client.send(new CreateTokenWithIAMCommand(input)).catch((error: unknown) => error);
    expect(reuse).toBeInstanceOf(InvalidGrantException);
    expect(reuse).toMatchObject({ name: "InvalidGrantException", error: "invalid_grant", $metadata: { httpStatusCode: 400 } });

    const refreshed = await client.send(
      new CreateTokenWithIAMCommand({ clientId: emulator.defaultClientId, grantType: "refresh_token", refreshToken: first.refreshToken }),
    );
    expect(refreshed.awsAdditionalDetails).toEqual({ identityContext: first.awsAdditionalDetails!.identityContext });
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);

    const exchanged = await client.send(
      new CreateTokenWithIAMCommand({
        clientId: emulator.defaultClientId,
        grantType: "urn:ietf:params:oauth:grant-type:token-exchange",
        subjectToken: refreshed.accessToken,
        subjectTokenType: "urn:ietf:params:oauth:token-type:access_token",
        requestedTokenType: "urn:amazon:webservices:token",
      }),
    );
    expect(exchanged.issuedTokenType).toBe("urn:amazon:webservices:token");
    expect(exchanged.refreshToken).toBeUndefined();
  });

  it("raises InvalidClientException and UnsupportedGrantTypeException as their own classes", async () => {
    const unknownClient = await client
      .send(new CreateTokenWithIAMCommand({ clientId: "arn:aws:sso::1:application/x/y", grantType: "refresh_token", refreshToken: "r" }))
      .catch((error: unknown) => error);
    expect(unknownClient).toBeInstanceOf(InvalidClientException);
    expect(unknownClient).toMatchObject({ error: "invalid_client", $metadata: { httpStatusCode: 401 } });
    const badGrant = await client
      .send(new CreateTokenWithIAMCommand({ clientId: emulator.defaultClientId, grantType: "password" }))
      .catch((error: unknown) => error);
    expect(badGrant).toBeInstanceOf(UnsupportedGrantTypeException);
  });
});

/**
 * RegisterClient validates what AWS validates, each refusal the model's exception as the JS SDK
 * raises it: grant types, scopes, redirect URIs (https, or http on loopback), issuerUrl and
 * entitledApplicationArn; authorization-code clients learn the emulator's endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegisterClientCommand, type RegisterClientCommandInput, type SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { DEFAULT_APPLICATION_ARN } from "../../src/emulator/index.js";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { expectAwsException } from "../support/emulator-expect.js";
import type { ExceptionName } from "../support/emulator-model.js";
import { CLI_REDIRECT_URI, START_URL } from "../support/emulator-public-clients.js";

const CODE_CLIENT: RegisterClientCommandInput = {
  clientName: "validation",
  clientType: "public",
  grantTypes: ["authorization_code", "refresh_token"],
  redirectUris: [CLI_REDIRECT_URI],
  issuerUrl: START_URL,
};
const UNKNOWN_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-000000000000";

let h: TestEmulator;
let sdk: SSOOIDCClient;

beforeAll(async () => {
  h = await startTestEmulator();
  sdk = h.client();
});
afterAll(async () => {
  await h?.stop();
});

const register = (input: Partial<RegisterClientCommandInput>, base: RegisterClientCommandInput = CODE_CLIENT) =>
  sdk.send(new RegisterClientCommand({ ...base, ...input }));

describe("what a valid registration returns", () => {
  it("gives an authorization-code client the emulator's authorize and token endpoints", async () => {
    const out = await register({});
    expect(out.authorizationEndpoint).toBe(`${h.url}/authorize`);
    expect(out.tokenEndpoint).toBe(`${h.url}/token`);
  });

  it("gives a device-flow client no endpoints", async () => {
    const out = await register({}, { clientName: "device", clientType: "public", grantTypes: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"] });
    expect(out.clientId).toEqual(expect.any(String));
    expect(out.authorizationEndpoint).toBeUndefined();
    expect(out.tokenEndpoint).toBeUndefined();
  });

  it("accepts loopback http (127.0.0.1, [::1], localhost, any port) and https redirect URIs", async () => {
    const redirectUris = ["http://127.0.0.1:8400/cb", "http://[::1]/cb", "http://localhost/cb", "https://app.example/cb?x=1"];
    expect((await register({ redirectUris })).clientId).toEqual(expect.any(String));
  });

  it("accepts an application of the instance as entitledApplicationArn, with its scopes", async () => {
    const out = await register({ entitledApplicationArn: h.defaultClientId, issuerUrl: undefined, scopes: ["openid", "aws"] });
    expect(out.authorizationEndpoint).toBe(`${h.url}/authorize`);
  });
});

describe("refusals", () => {
  const cases: [string, Partial<RegisterClientCommandInput>, ExceptionName, string][] = [
    ["a grant type AWS does not accept", { grantTypes: ["password"] }, "UnsupportedGrantTypeException", 'Grant type "password" is not supported'],
    ["the IAM-only jwt-bearer grant", { grantTypes: ["urn:ietf:params:oauth:grant-type:jwt-bearer"] }, "UnsupportedGrantTypeException", "is not supported"],
    ["an empty scope", { scopes: [""] }, "InvalidScopeException", 'Invalid scope ""'],
    ["a blank scope", { scopes: ["openid", "   "] }, "InvalidScopeException", 'Invalid scope "   "'],
    ["a scope with a space inside", { scopes: ["sso:account:access openid"] }, "InvalidScopeException", "contain no whitespace"],
    ["a redirect URI that is not absolute", { redirectUris: ["/oauth/callback"] }, "InvalidRedirectUriException", "is not an absolute URI"],
    ["plain http to a non-loopback host", { redirectUris: ["http://app.example/cb"] }, "InvalidRedirectUriException", "must use https"],
    ["a custom scheme", { redirectUris: ["com.example.app:/cb"] }, "InvalidRedirectUriException", "must use https"],
    ["a fragment", { redirectUris: ["https://app.example/cb#part"] }, "InvalidRedirectUriException", "must not contain a fragment"],
    ["authorization_code without redirect URIs", { redirectUris: undefined }, "InvalidClientMetadataException", "redirectUris is required"],
    ["redirect URIs without authorization_code", { grantTypes: ["urn:ietf:params:oauth:grant-type:device_code"] }, "InvalidClientMetadataException", "only allowed together"],
    ["an http issuerUrl", { issuerUrl: "http://d-9067aaaabb.awsapps.com/start" }, "InvalidClientMetadataException", "is not an https URL"],
    ["an issuerUrl that is no URL", { issuerUrl: "d-9067aaaabb" }, "InvalidClientMetadataException", "is not an https URL"],
    ["authorization_code with neither issuerUrl nor entitledApplicationArn", { issuerUrl: undefined }, "InvalidClientMetadataException", "issuerUrl or entitledApplicationArn is required"],
    ["an entitledApplicationArn that is no application ARN", { entitledApplicationArn: "arn:aws:iam::123456789012:role/x" }, "InvalidRequestException", "is not an application ARN"],
    ["an application the instance does not have", { entitledApplicationArn: UNKNOWN_APP }, "InvalidClientMetadataException", "is not an application of this instance"],
    ["a scope the entitled application does not have", { entitledApplicationArn: DEFAULT_APPLICATION_ARN, scopes: ["admin:all"] }, "InvalidScopeException", "does not have the scope(s): admin:all"],
    ["a client type other than public", { clientType: "confidential" }, "InvalidClientMetadataException", 'clientType must be "public"'],
    ["no client name", { clientName: undefined }, "InvalidRequestException", "clientName is required."],
  ];
  for (const [what, input, exception, description] of cases) {
    it(`answers ${exception} to ${what}`, async () => {
      const e = expectAwsException(await rejectionOf(register(input)), exception);
      expect(e.error_description).toContain(description);
    });
  }
});

describe("on the wire", () => {
  it("answers 400 with x-amzn-errortype and the OAuth error body", async () => {
    const response = await fetch(`${h.url}/client/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...CODE_CLIENT, redirectUris: ["http://app.example/cb"] }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe("InvalidRedirectUriException");
    expect(await response.json()).toEqual({
      error: "invalid_redirect_uri",
      error_description: 'Redirect URI "http://app.example/cb" must use https, or http on a loopback address (127.0.0.1, [::1] or localhost).',
    });
  });
});


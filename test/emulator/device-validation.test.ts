/**
 * StartDeviceAuthorization checks the start URL and the client's grant, and points the user at the
 * emulator's own /device page (not AWS's host); the developer API approves codes typed loosely.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateTokenCommand, RegisterClientCommand, StartDeviceAuthorizationCommand, type SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { GRANT } from "../support/emulator-model.js";
import { START_URL } from "../support/emulator-public-clients.js";

let h: TestEmulator;
let sdk: SSOOIDCClient;

beforeAll(async () => {
  h = await startTestEmulator();
  sdk = h.client();
});
afterAll(async () => {
  await h?.stop();
});

async function deviceClient(grantTypes?: string[]) {
  const out = await sdk.send(new RegisterClientCommand({ clientName: "device-validation", clientType: "public", grantTypes, scopes: ["sso:account:access"] }));
  return { clientId: out.clientId!, clientSecret: out.clientSecret! };
}

describe("StartDeviceAuthorization", () => {
  it("points verificationUri and verificationUriComplete at the emulator's /device page", async () => {
    const device = await sdk.send(new StartDeviceAuthorizationCommand({ ...(await deviceClient()), startUrl: START_URL }));
    expect(device.userCode).toMatch(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
    expect(device.verificationUri).toBe(`${h.url}/device`);
    expect(device.verificationUriComplete).toBe(`${h.url}/device?user_code=${device.userCode}`);
  });

  for (const [what, startUrl] of [
    ["an http start URL", "http://d-9067aaaabb.awsapps.com/start"],
    ["a start URL that is no URL", "d-9067aaaabb"],
    ["no start URL", undefined],
  ] as const) {
    it(`answers InvalidRequestException to ${what}`, async () => {
      const client = await deviceClient();
      const e = await rejectionOf(sdk.send(new StartDeviceAuthorizationCommand({ ...client, startUrl } as never)));
      expect(expectAwsException(e, "InvalidRequestException").error_description).toMatch(/^startUrl /);
    });
  }

  it("answers UnauthorizedClientException to a client registered without the device_code grant", async () => {
    const client = await deviceClient(["refresh_token"]);
    const e = await rejectionOf(sdk.send(new StartDeviceAuthorizationCommand({ ...client, startUrl: START_URL })));
    expectAwsException(e, "UnauthorizedClientException");
  });

  it("answers UnauthorizedClientException to CreateToken refresh from a client registered with device_code only", async () => {
    const client = await deviceClient([GRANT.deviceCode]);
    const e = await rejectionOf(sdk.send(new CreateTokenCommand({ ...client, grantType: GRANT.refreshToken, refreshToken: "aor-us-east-1:x" })));
    expectAwsException(e, "UnauthorizedClientException");
  });
});

describe("approval through the developer API", () => {
  it("approves a user code typed in lower case without its hyphen; the next poll gets tokens", async () => {
    const client = await deviceClient();
    const device = await sdk.send(new StartDeviceAuthorizationCommand({ ...client, startUrl: START_URL }));
    await h.dev.approveDevice(device.userCode!.replace("-", "").toLowerCase(), "alice");
    const tokens = await sdk.send(new CreateTokenCommand({ ...client, grantType: GRANT.deviceCode, deviceCode: device.deviceCode! }));
    expect(tokens.accessToken).toMatch(/^aoa-/);
  });
});

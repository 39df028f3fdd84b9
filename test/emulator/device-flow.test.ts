/**
 * The unsigned device authorization flow: RegisterClient → StartDeviceAuthorization → CreateToken
 * polling, approved or denied through the developer API.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  CreateTokenCommand,
  RegisterClientCommand,
  StartDeviceAuthorizationCommand,
  type SSOOIDCClient,
} from "@aws-sdk/client-sso-oidc";
import { rejectionOf, sleep, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { GRANT } from "../support/emulator-model.js";

const START_URL = "https://d-9067aaaabb.awsapps.com/start";

let h: TestEmulator;
let client: SSOOIDCClient;

beforeAll(async () => {
  h = await startTestEmulator();
  client = h.client();
});
afterAll(async () => {
  await h?.stop();
});

async function register() {
  const out = await client.send(new RegisterClientCommand({ clientName: "device-flow-test", clientType: "public" }));
  return { clientId: out.clientId!, clientSecret: out.clientSecret!, out };
}

async function startDevice() {
  const c = await register();
  const device = await client.send(new StartDeviceAuthorizationCommand({ clientId: c.clientId, clientSecret: c.clientSecret, startUrl: START_URL }));
  const poll = () =>
    client.send(new CreateTokenCommand({ clientId: c.clientId, clientSecret: c.clientSecret, grantType: GRANT.deviceCode, deviceCode: device.deviceCode! }));
  return { ...c, device, poll };
}

describe("registration and authorization", () => {
  it("registers a public client with an id, a secret and their times", async () => {
    const { out } = await register();
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(typeof out.clientId).toBe("string");
    expect(typeof out.clientSecret).toBe("string");
    expect(typeof out.clientIdIssuedAt).toBe("number");
    expect(typeof out.clientSecretExpiresAt).toBe("number");
    expect(out.clientSecretExpiresAt!).toBeGreaterThan(out.clientIdIssuedAt!);
  });

  it("starts a device authorization with codes, verification URIs, expiresIn 600 and interval 1", async () => {
    const { device } = await startDevice();
    expect(typeof device.deviceCode).toBe("string");
    expect(typeof device.userCode).toBe("string");
    expect(typeof device.verificationUri).toBe("string");
    expect(device.verificationUriComplete).toContain(device.userCode!);
    expect(device.expiresIn).toBe(600);
    expect(device.interval).toBe(1);
  });

  it("answers InvalidClientException to StartDeviceAuthorization with a wrong client secret or unknown client", async () => {
    const c = await register();
    for (const creds of [
      { clientId: c.clientId, clientSecret: "wrong" },
      { clientId: "unknown-client", clientSecret: c.clientSecret },
    ]) {
      expectAwsException(await rejectionOf(client.send(new StartDeviceAuthorizationCommand({ ...creds, startUrl: START_URL }))), "InvalidClientException");
    }
  });
});

describe("polling CreateToken", () => {
  it("answers AuthorizationPendingException until approved, then tokens, which refresh through CreateToken", async () => {
    const { clientId, clientSecret, device, poll } = await startDevice();
    await sleep(1100);
    expectAwsException(await rejectionOf(poll()), "AuthorizationPendingException");
    await h.dev.approveDevice(device.userCode!, "alice");
    await sleep(1100);
    const tokens = await poll();
    expect(tokens.$metadata.httpStatusCode).toBe(200);
    expect(tokens.tokenType).toBe("Bearer");
    expect(tokens.accessToken).toMatch(/^aoa/);
    expect(tokens.refreshToken).toMatch(/^aor/);
    expect(typeof tokens.expiresIn).toBe("number");

    const refreshed = await client.send(
      new CreateTokenCommand({ clientId, clientSecret, grantType: GRANT.refreshToken, refreshToken: tokens.refreshToken! }),
    );
    expect(refreshed.accessToken).toMatch(/^aoa/);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
  });

  it("ignores CreateToken's scope on every grant, as the model says (\"This parameter has no effect\")", async () => {
    const { clientId, clientSecret, device } = await startDevice();
    await h.dev.approveDevice(device.userCode!, "alice");
    await sleep(1100);
    const tokens = await client.send(
      new CreateTokenCommand({ clientId, clientSecret, grantType: GRANT.deviceCode, deviceCode: device.deviceCode!, scope: ["sso:account:access"] }),
    );
    const refreshed = await client.send(
      new CreateTokenCommand({ clientId, clientSecret, grantType: GRANT.refreshToken, refreshToken: tokens.refreshToken!, scope: ["codewhisperer:completions"] }),
    );
    expect(refreshed.$metadata.httpStatusCode).toBe(200);
    expect(refreshed.accessToken).toMatch(/^aoa/);
  });

  it("answers SlowDownException when polled faster than the interval", async () => {
    const { poll } = await startDevice();
    await sleep(1100);
    expectAwsException(await rejectionOf(poll()), "AuthorizationPendingException");
    expectAwsException(await rejectionOf(poll()), "SlowDownException");
  });

  it("answers AccessDeniedException once the user denies the request", async () => {
    const { device, poll } = await startDevice();
    await h.dev.denyDevice(device.userCode!);
    await sleep(1100);
    expectAwsException(await rejectionOf(poll()), "AccessDeniedException");
  });

  it("answers ExpiredTokenException after expiresIn (the clock moved 601 s ahead)", async () => {
    // The contract has no setting for the device code lifetime (600 s), so this test moves the
    // clock instead: Date.now is wrapped before a dedicated emulator starts (so even a captured
    // reference sees the offset), then pushed past expiresIn.
    const realNow = Date.now.bind(Date);
    let offsetMs = 0;
    const nowSpy = vi.spyOn(Date, "now").mockImplementation(() => realNow() + offsetMs);
    const timed = await startTestEmulator();
    try {
      const c = timed.client();
      const reg = await c.send(new RegisterClientCommand({ clientName: "expiry", clientType: "public" }));
      const creds = { clientId: reg.clientId!, clientSecret: reg.clientSecret! };
      const device = await c.send(new StartDeviceAuthorizationCommand({ ...creds, startUrl: START_URL }));
      offsetMs = 601_000;
      const e = await rejectionOf(c.send(new CreateTokenCommand({ ...creds, grantType: GRANT.deviceCode, deviceCode: device.deviceCode! })));
      expectAwsException(e, "ExpiredTokenException");
    } finally {
      await timed.stop();
      nowSpy.mockRestore();
    }
  });

  it("answers InvalidClientException to CreateToken with a wrong client secret", async () => {
    const { clientId, device } = await startDevice();
    const e = await rejectionOf(
      client.send(new CreateTokenCommand({ clientId, clientSecret: "wrong", grantType: GRANT.deviceCode, deviceCode: device.deviceCode! })),
    );
    expectAwsException(e, "InvalidClientException");
  });

  it("answers InvalidRequestException to RegisterClient without a client name", async () => {
    const e = await rejectionOf(client.send(new RegisterClientCommand({ clientType: "public" } as never)));
    expectAwsException(e, "InvalidRequestException");
  });
});

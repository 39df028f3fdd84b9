/**
 * The fault API raises every modeled exception of every operation as the SDK's own class, with
 * the model's status and fault, the OAuth code, and the fault's reason where the model has one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTokenCommand,
  CreateTokenWithIAMCommand,
  RegisterClientCommand,
  StartDeviceAuthorizationCommand,
  type SSOOIDCClient,
} from "@aws-sdk/client-sso-oidc";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { viaJwtBearer } from "../support/emulator-flows.js";
import { expectAwsException } from "../support/emulator-expect.js";
import { GRANT, OPERATION_ERRORS } from "../support/emulator-model.js";

let h: TestEmulator;
beforeAll(async () => {
  h = await startTestEmulator();
});
afterAll(async () => {
  await h?.stop();
});
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

describe("the fault API raises every modeled exception of every operation as its own SDK class", () => {
  const requests: Record<string, (client: SSOOIDCClient) => Promise<unknown>> = {
    CreateTokenWithIAM: async (client) => {
      const { assertion } = await h.dev.assertion({ sub: "alice" });
      return client.send(new CreateTokenWithIAMCommand({ clientId: APP, grantType: GRANT.jwtBearer, assertion }));
    },
    CreateToken: (client) =>
      client.send(new CreateTokenCommand({ clientId: "c", clientSecret: "s", grantType: GRANT.deviceCode, deviceCode: "d" })),
    RegisterClient: (client) => client.send(new RegisterClientCommand({ clientName: "cli", clientType: "public" })),
    StartDeviceAuthorization: (client) =>
      client.send(new StartDeviceAuthorizationCommand({ clientId: "c", clientSecret: "s", startUrl: "https://example.awsapps.com/start" })),
  };

  for (const [operation, names] of Object.entries(OPERATION_ERRORS)) {
    for (const name of names) {
      it(`${operation} raises ${name} when the fault API injects it`, async () => {
        await h.dev.addFault({ operation: operation as never, exception: name, count: 1 });
        try {
          expectAwsException(await rejectionOf(requests[operation]!(h.client())), name);
        } finally {
          await h.dev.clearFaults();
        }
      });
    }
  }

  it("carries the fault's reason on AccessDeniedException and InvalidRequestException", async () => {
    for (const [name, reason] of [
      ["AccessDeniedException", "KMS_AccessDeniedException"],
      ["InvalidRequestException", "KMS_DisabledException"],
    ] as const) {
      await h.dev.addFault({ operation: "CreateTokenWithIAM", exception: name, reason, count: 1 });
      const e = expectAwsException(await rejectionOf(viaJwtBearer(h)), name);
      expect(e.reason).toBe(reason);
    }
  });
});

/**
 * Starting and stopping the emulator as a library: exported defaults, options honoured,
 * ephemeral ports, and a clean stop after which the port refuses connections.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { CreateTokenWithIAMCommand, RegisterClientCommand } from "@aws-sdk/client-sso-oidc";
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_APPLICATION_ARN,
  DEFAULT_REGION,
  DEFAULT_SECRET_ACCESS_KEY,
  startEmulator,
} from "../../src/emulator/index.js";
import { rejectionOf, startTestEmulator } from "../support/emulator-harness.js";
import { viaJwtBearer } from "../support/emulator-flows.js";
import { expectAuthFailure } from "../support/emulator-expect.js";
import { GRANT } from "../support/emulator-model.js";

function connect(port: number): Promise<"connected" | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("emulator lifecycle", () => {
  it("exports the documented defaults", () => {
    expect(DEFAULT_APPLICATION_ARN).toBe("arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222");
    expect(DEFAULT_ACCESS_KEY_ID).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(DEFAULT_SECRET_ACCESS_KEY).toBe("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(DEFAULT_REGION).toBe("us-east-1");
  });

  it("starts on distinct ephemeral ports with the default region, credentials and application", async () => {
    const [a, b] = await Promise.all([startEmulator({ port: 0 }), startEmulator({ port: 0 })]);
    try {
      for (const e of [a, b]) {
        expect(e.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(e.region).toBe("us-east-1");
        expect(e.credentials).toEqual({ accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY });
        expect(e.defaultClientId).toBe(DEFAULT_APPLICATION_ARN);
      }
      expect(a.url).not.toBe(b.url);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("serves the region and IAM credentials it was started with, and only those", async () => {
    const credentials = { accessKeyId: "AKIAEMULATORTEST0001", secretAccessKey: "another/secret/for/the/emulator/tests0" };
    const h = await startTestEmulator({ region: "ap-southeast-2", credentials });
    try {
      expect(h.region).toBe("ap-southeast-2");
      expect(h.credentials).toEqual(credentials);
      expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
      const defaults = { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY };
      const { assertion } = await h.dev.assertion({ sub: "alice" });
      const command = new CreateTokenWithIAMCommand({ clientId: h.defaultClientId, grantType: GRANT.jwtBearer, assertion });
      const e = await rejectionOf(h.client({ credentials: defaults }).send(command));
      expectAuthFailure(e, "UnrecognizedClientException");
    } finally {
      await h.stop();
    }
  });

  it("after stop() the port refuses connections, even when a client held a keep-alive connection", async () => {
    const h = await startTestEmulator();
    const port = Number(new URL(h.url).port);
    await h.client().send(new RegisterClientCommand({ clientName: "keep-alive", clientType: "public" }));
    expect(await connect(port)).toBe("connected");
    const started = performance.now();
    await h.emulator.stop();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await connect(port)).toBe("ECONNREFUSED");
    await h.emulator.stop(); // a second stop is harmless
    await h.stop();
  });
});

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.stop());

const PATHS = ["/token", "/token?aws_iam=t", "/client/register", "/device_authorization", "/_emulator/assertions", "/_emulator/authorize", "/_emulator/device/approve", "/x"];
const MEMBERS = ["clientId", "clientSecret", "grantType", "code", "refreshToken", "assertion", "scope", "redirectUri", "subjectToken", "subjectTokenType", "requestedTokenType", "codeVerifier", "deviceCode", "clientName", "clientType", "startUrl", "sub", "userCode", "latencyMs", "count"];

const body = fc.oneof(
  fc.string(),
  fc.json(),
  fc.dictionary(fc.constantFrom(...MEMBERS), fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string()), fc.object())).map((o) => JSON.stringify(o)),
);

describe("fuzzed requests", () => {
  it("never get a 5xx answer or break the emulator", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), body, fc.constantFrom("application/json", "text/plain", "application/x-amz-json-1.1"), async (path, payload, contentType) => {
        const response = await fetch(`${emulator.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body: payload });
        await response.arrayBuffer();
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    await fetch(`${emulator.url}/_emulator/faults`, { method: "DELETE" });
    expect(await (await fetch(`${emulator.url}/_emulator/health`)).json()).toEqual({ status: "ok" });
  });
});

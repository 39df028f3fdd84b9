/**
 * SigV4 clock skew in AWS's exact wording, on a frozen emulator clock: a request signed 20 minutes
 * early is "Signature expired", 20 minutes late "Signature not yet current", both 403
 * InvalidSignatureException with the times in the x-amz-date format and the allowance in minutes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { rawRequest, signCreateTokenWithIAM } from "../support/emulator-http.js";
import { startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";

/** 2026-01-15T12:00:00Z: what the emulator's clock reads while a request is checked. */
const SERVER_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const realNow = Date.now.bind(Date);
let frozen = false;
let h: TestEmulator;

beforeAll(async () => {
  // Wrapped before the emulator starts so its captured clock is this one; real time otherwise.
  vi.spyOn(Date, "now").mockImplementation(() => (frozen ? SERVER_NOW : realNow()));
  h = await startTestEmulator();
});
afterAll(async () => {
  await h?.stop();
  vi.restoreAllMocks();
});

async function signedAt(offsetMinutes: number) {
  const body = "{}";
  const { path, headers } = await signCreateTokenWithIAM({
    baseUrl: h.url,
    region: h.region,
    credentials: h.credentials,
    body,
    signingDate: new Date(SERVER_NOW + offsetMinutes * 60_000),
  });
  frozen = true;
  try {
    return await rawRequest(h.url, { method: "POST", path, headers, body });
  } finally {
    frozen = false;
  }
}

describe("clock skew", () => {
  it('answers "Signature expired: … is now earlier than … (… - 5 min.)" to a request signed 20 minutes ago', async () => {
    const response = await signedAt(-20);
    expect(response.status).toBe(403);
    expect(response.headers["x-amzn-errortype"]).toBe("InvalidSignatureException");
    expect(response.json).toEqual({ message: "Signature expired: 20260115T114000Z is now earlier than 20260115T115500Z (20260115T120000Z - 5 min.)" });
  });

  it('answers "Signature not yet current: … is still later than … (… + 5 min.)" to a request signed 20 minutes ahead', async () => {
    const response = await signedAt(20);
    expect(response.status).toBe(403);
    expect(response.headers["x-amzn-errortype"]).toBe("InvalidSignatureException");
    expect(response.json).toEqual({ message: "Signature not yet current: 20260115T122000Z is still later than 20260115T120500Z (20260115T120000Z + 5 min.)" });
  });

  it("accepts a request signed exactly at the edge of the allowance", async () => {
    const response = await signedAt(5);
    // Past SigV4, the empty body fails the operation's own checks: proof the signature passed.
    expect(response.headers["x-amzn-errortype"]).toBe("InvalidRequestException");
  });
});

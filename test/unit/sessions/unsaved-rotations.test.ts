import { afterEach, describe, expect, it, vi } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import type { Logger } from "../../../src/logging/logger.js";
import { createUnsavedRotations, type UnsavedRotations } from "../../../src/sessions/unsaved-rotations.js";

/** A logger that keeps each line's level, fields and message. */
function recording() {
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } as unknown as Logger };
}
const unavailable = () => new GatewayError("SESSION_STORE_UNAVAILABLE");

describe("unsaved session rotations", () => {
  let rotations: UnsavedRotations | undefined;
  afterEach(() => {
    rotations?.close();
    vi.useRealTimers();
  });

  it("retries every second until the store takes the rotation, then forgets it and says so", async () => {
    vi.useFakeTimers();
    const { lines, logger } = recording();
    rotations = createUnsavedRotations({ logger });
    let attempts = 0;
    rotations.keep("old-id", async () => {
      attempts += 1;
      if (attempts < 3) throw unavailable();
    }, Date.now() + 60_000);
    expect(rotations.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([attempts, rotations.size]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect([attempts, rotations.size]).toEqual([3, 0]);
    expect(lines.map((line) => line.message)).toContain("session refresh saved: the store took the new tokens it had failed to take");
    // Nothing waits: the timer stopped.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(attempts).toBe(3);
  });

  it("drops a rotation a sign-out undid (UNAUTHENTICATED) without rejecting saveNow, and rejects saveNow while the store is unavailable", async () => {
    const { logger } = recording();
    rotations = createUnsavedRotations({ logger });
    rotations.keep("signed-out", () => Promise.reject(new GatewayError("UNAUTHENTICATED")), Date.now() + 60_000);
    await expect(rotations.saveNow("signed-out")).resolves.toBeUndefined();
    expect(rotations.size).toBe(0);
    rotations.keep("waiting", () => Promise.reject(unavailable()), Date.now() + 60_000);
    await expect(rotations.saveNow("waiting")).rejects.toMatchObject({ code: "SESSION_STORE_UNAVAILABLE" });
    expect(rotations.size).toBe(1);
    await expect(rotations.saveNow("unknown-id")).resolves.toBeUndefined();
  });

  it("shares one save between saveNow and the retry running at the same moment", async () => {
    const { logger } = recording();
    rotations = createUnsavedRotations({ logger, retryMs: 5 });
    let release: () => void = () => undefined;
    let attempts = 0;
    rotations.keep("old-id", () => {
      attempts += 1;
      return new Promise<void>((resolve) => (release = resolve));
    }, Date.now() + 60_000);
    const now = rotations.saveNow("old-id");
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    await now;
    expect(attempts).toBe(1);
    expect(rotations.size).toBe(0);
  });

  it("gives a rotation up once its session would have ended, with one warning counting what was lost", async () => {
    vi.useFakeTimers();
    const { lines, logger } = recording();
    rotations = createUnsavedRotations({ logger });
    rotations.keep("old-id", () => Promise.reject(unavailable()), Date.now() + 1_500);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(rotations.size).toBe(0);
    expect(lines.filter((line) => line.message.startsWith("session refreshes lost")).map((line) => line.fields)).toEqual([{ expired: 1 }]);
  });

  it("logs no session id", async () => {
    const { lines, logger } = recording();
    rotations = createUnsavedRotations({ logger });
    const sessionId = "session-id-that-must-not-be-logged";
    rotations.keep(sessionId, () => Promise.resolve(), Date.now() + 60_000);
    await rotations.saveNow(sessionId);
    expect(JSON.stringify(lines)).not.toContain(sessionId);
  });
});

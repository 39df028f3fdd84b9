import { describe, expect, it } from "vitest";
import { computeExpiresAt, computeIsExpired, computeSecondsRemaining } from "../../../src/schema/computed/expiry.js";

const ISSUED_AT = Date.parse("2026-01-01T00:00:00.000Z");

describe("computeExpiresAt", () => {
  it("adds expiresIn seconds to the issue time", () => {
    expect(computeExpiresAt({ issuedAt: ISSUED_AT, expiresIn: 3600 })?.toISOString()).toBe("2026-01-01T01:00:00.000Z");
  });

  it("gives the same instant on every call for the same response", () => {
    const token = { issuedAt: ISSUED_AT, expiresIn: 900 };
    expect(computeExpiresAt(token)?.getTime()).toBe(computeExpiresAt(token)?.getTime());
  });

  it("is the issue time itself when expiresIn is 0", () => {
    expect(computeExpiresAt({ issuedAt: ISSUED_AT, expiresIn: 0 })?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("is null when expiresIn is missing or null", () => {
    expect(computeExpiresAt({ issuedAt: ISSUED_AT })).toBeNull();
    expect(computeExpiresAt({ issuedAt: ISSUED_AT, expiresIn: null })).toBeNull();
  });

  it("is null when expiresIn is not a finite number or overflows a Date", () => {
    expect(computeExpiresAt({ issuedAt: ISSUED_AT, expiresIn: Number.NaN })).toBeNull();
    expect(computeExpiresAt({ issuedAt: ISSUED_AT, expiresIn: 1e300 })).toBeNull();
  });
});

describe("computeSecondsRemaining", () => {
  it("counts whole seconds left, rounded down", () => {
    expect(computeSecondsRemaining({ issuedAt: ISSUED_AT, expiresIn: 3600 }, ISSUED_AT + 1500)).toBe(3598);
  });

  it("is 0, not negative, once expired", () => {
    expect(computeSecondsRemaining({ issuedAt: ISSUED_AT, expiresIn: 60 }, ISSUED_AT + 3_600_000)).toBe(0);
  });

  it("is 0 when expiresIn is 0", () => {
    expect(computeSecondsRemaining({ issuedAt: ISSUED_AT, expiresIn: 0 }, ISSUED_AT)).toBe(0);
  });

  it("is null when expiresIn is missing", () => {
    expect(computeSecondsRemaining({ issuedAt: ISSUED_AT }, ISSUED_AT)).toBeNull();
  });
});

describe("computeIsExpired", () => {
  it("is false before the expiry and true from the expiry on", () => {
    const token = { issuedAt: ISSUED_AT, expiresIn: 60 };
    expect(computeIsExpired(token, ISSUED_AT + 59_999)).toBe(false);
    expect(computeIsExpired(token, ISSUED_AT + 60_000)).toBe(true);
  });

  it("is true immediately when expiresIn is 0", () => {
    expect(computeIsExpired({ issuedAt: ISSUED_AT, expiresIn: 0 }, ISSUED_AT)).toBe(true);
  });

  it("is false when expiresIn is missing (the expiry is unknown)", () => {
    expect(computeIsExpired({ issuedAt: ISSUED_AT }, ISSUED_AT + 10 ** 12)).toBe(false);
  });
});

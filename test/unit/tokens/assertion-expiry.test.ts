import { describe, expect, it } from "vitest";
import { assertionExpiresAt } from "../../../src/tokens/assertion-expiry.js";

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (payload: unknown): string => `${segment({ alg: "RS256" })}.${segment(payload)}.c2lnbmF0dXJl`;

describe("assertionExpiresAt", () => {
  it("reads a compact JWT's exp (seconds) as epoch milliseconds, without verifying it", () => {
    expect(assertionExpiresAt(jwt({ sub: "alice", exp: 1_900_000_000 }))).toBe(1_900_000_000_000);
  });

  it("is undefined for an assertion with no numeric exp, a payload that is not JSON, or no compact form", () => {
    expect(assertionExpiresAt(jwt({ sub: "alice" }))).toBeUndefined();
    expect(assertionExpiresAt(jwt({ exp: "1900000000" }))).toBeUndefined();
    expect(assertionExpiresAt(`${segment({})}.bm90IGpzb24.sig`)).toBeUndefined();
    expect(assertionExpiresAt("not-a-jwt")).toBeUndefined();
    expect(assertionExpiresAt(".only.dots")).toBeUndefined();
    expect(assertionExpiresAt(undefined)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { assertionExpiresAt } from "../../../src/tokens/assertion-expiry.js";
import { decodeIssuedToken, encodeIssuedToken, remainingLifeMs } from "../../../src/tokens/issued-token-codec.js";

/** Reading an assertion's exp, and a stored answer back: every malformed input gives "unknown", never a guess. */
const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const jwt = (payload: unknown) => `${b64({ alg: "RS256" })}.${b64(payload)}.sig`;

describe("assertion expiry", () => {
  it("reads exp in milliseconds from a compact JWT", () => {
    expect(assertionExpiresAt(jwt({ exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
  });

  it("knows no expiry for a JWT with an empty header part, no second dot, or a payload that is not an object with a finite numeric exp", () => {
    expect(assertionExpiresAt(`.${b64({ exp: 1 })}.sig`)).toBeUndefined();
    expect(assertionExpiresAt(`${b64({ alg: "RS256" })}.${b64({ exp: 1 })}`)).toBeUndefined();
    expect(assertionExpiresAt("no-dots-at-all")).toBeUndefined();
    for (const payload of [null, 5, "exp", { exp: "1700000000" }, { exp: null }, {}]) expect(assertionExpiresAt(jwt(payload))).toBeUndefined();
    expect(assertionExpiresAt(`${b64({ alg: "RS256" })}.${b64("{not json")}.sig`)).toBeUndefined();
    expect(assertionExpiresAt(undefined)).toBeUndefined();
  });

  it("knows no expiry for a two-part token even when the payload decodes, nor for a non-finite exp", () => {
    expect(assertionExpiresAt(`${b64({ alg: "RS256" })}.${b64({ exp: 5 })}x`)).toBeUndefined();
    expect(assertionExpiresAt(`${b64({ alg: "RS256" })}.${b64('{"exp":-1e400}')}.sig`)).toBeUndefined();
  });

  it("reads a header of one character (the first dot at index 1)", () => {
    expect(assertionExpiresAt(`e.${b64({ exp: 2 })}.s`)).toBe(2000);
  });
});

describe("stored answers", () => {
  const answer = { clientId: "app", issuedAt: 1_700_000_000_000, accessToken: "at", expiresIn: 60 };

  it("round-trips an answer as UTF-8 JSON", () => {
    expect(encodeIssuedToken(answer).toString("utf8")).toBe(JSON.stringify(answer));
    expect(decodeIssuedToken(encodeIssuedToken({ ...answer, accessToken: "é" }))).toEqual({ ...answer, accessToken: "é" });
  });

  it("refuses a stored value without a numeric issuedAt and a string clientId", () => {
    const message = "stored token response is malformed (no issuedAt/clientId)";
    for (const stored of [null, 7, [], { issuedAt: 1 }, { clientId: "app" }, { issuedAt: "1", clientId: "app" }, { issuedAt: 1, clientId: 2 }]) {
      expect(() => decodeIssuedToken(Buffer.from(JSON.stringify(stored)))).toThrow(new TypeError(message));
    }
  });

  it("counts an access token's remaining life from when it was issued", () => {
    expect(remainingLifeMs(answer, answer.issuedAt + 10_000)).toBe(50_000);
    expect(remainingLifeMs({ clientId: "app", issuedAt: 0 }, 10)).toBeUndefined();
  });
});

import * as crypto from "node:crypto";
import { channel } from "node:diagnostics_channel";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ValidTokenRequest } from "../../../src/tokens/grant-validation.js";

// Counts the HMACs the fingerprinter computes: what its memo saves is the only thing it changes.
vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return { ...original, createHmac: vi.fn(original.createHmac) };
});
const hmacs = vi.mocked(crypto.createHmac);
// Loaded afresh, so it binds the counting createHmac even where an earlier test file in the same
// worker loaded it already (Stryker runs the files without isolation).
let createFingerprinter: typeof import("../../../src/tokens/fingerprint.js").createFingerprinter;
let fingerprintTokenRequest: typeof import("../../../src/tokens/fingerprint.js").fingerprintTokenRequest;
beforeAll(async () => {
  vi.resetModules();
  ({ createFingerprinter, fingerprintTokenRequest } = await import("../../../src/tokens/fingerprint.js"));
});
/** The memo's bounds (src/tokens/fingerprint.ts FINGERPRINT_MEMO), written here so a change to them is a visible test change. */
const FINGERPRINT_MEMO = { maxEntries: 1_000, maxChars: 2_000_000, ttlMs: 300_000 };

const KEY = Buffer.from("k".repeat(32));
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const jwtBearer = (assertion: string, scope?: string[]): ValidTokenRequest => ({ clientId: APP, grantType: "JWT_BEARER", assertion, ...(scope ? { scope } : {}) });

beforeEach(() => {
  hmacs.mockClear();
});

describe("createFingerprinter", () => {
  it("answers fingerprintTokenRequest's fingerprint for every grant, remembered or not", () => {
    const fingerprintOf = createFingerprinter(KEY);
    const requests: ValidTokenRequest[] = [
      jwtBearer("eyJ.a.b", ["openid", "aws"]),
      { clientId: APP, grantType: "TOKEN_EXCHANGE", subjectToken: "aoa-token", subjectTokenType: "urn:ietf:params:oauth:token-type:access_token" },
      { clientId: APP, grantType: "REFRESH_TOKEN", refreshToken: "aor-token" },
      { clientId: APP, grantType: "AUTHORIZATION_CODE", code: "code", redirectUri: "https://app.example/cb" },
    ];
    for (const request of requests) {
      expect(fingerprintOf(request)).toBe(fingerprintTokenRequest(request, KEY));
      expect(fingerprintOf(request)).toBe(fingerprintTokenRequest(request, KEY));
    }
  });

  it("computes a replayable exchange's HMAC once, and a different exchange's anew", () => {
    const fingerprintOf = createFingerprinter(KEY);
    const first = fingerprintOf(jwtBearer("eyJ.a.b", ["openid", "aws"]));
    // The same exchange (scope is a set): remembered.
    expect(fingerprintOf(jwtBearer("eyJ.a.b", ["aws", "openid"]))).toBe(first);
    expect(hmacs).toHaveBeenCalledTimes(1);
    // Another assertion, another scope: never the remembered answer.
    expect(fingerprintOf(jwtBearer("eyJ.a.c", ["openid", "aws"]))).not.toBe(first);
    expect(fingerprintOf(jwtBearer("eyJ.a.b", ["openid"]))).not.toBe(first);
    expect(hmacs).toHaveBeenCalledTimes(3);
  });

  it("never remembers a single-use grant (refresh token, authorization code): each is hashed every time", () => {
    const fingerprintOf = createFingerprinter(KEY);
    const refresh: ValidTokenRequest = { clientId: APP, grantType: "REFRESH_TOKEN", refreshToken: "aor-token" };
    const code: ValidTokenRequest = { clientId: APP, grantType: "AUTHORIZATION_CODE", code: "code", redirectUri: "https://app.example/cb" };
    for (let i = 0; i < 2; i++) fingerprintOf(refresh), fingerprintOf(code);
    expect(hmacs).toHaveBeenCalledTimes(4);
  });

  it("keeps one memo per gateway secret", () => {
    const other = Buffer.from("j".repeat(32));
    const request = jwtBearer("eyJ.a.b");
    expect(createFingerprinter(KEY)(request)).not.toBe(createFingerprinter(other)(request));
    expect(createFingerprinter(other)(request)).toBe(fingerprintTokenRequest(request, other));
  });

  it(`remembers at most ${FINGERPRINT_MEMO.maxEntries} exchanges, the least recently used forgotten first`, () => {
    const fingerprintOf = createFingerprinter(KEY);
    for (let i = 0; i <= FINGERPRINT_MEMO.maxEntries; i++) fingerprintOf(jwtBearer(`eyJ.a.${i}`));
    expect(hmacs).toHaveBeenCalledTimes(FINGERPRINT_MEMO.maxEntries + 1);
    fingerprintOf(jwtBearer(`eyJ.a.${FINGERPRINT_MEMO.maxEntries}`)); // the newest: remembered
    expect(hmacs).toHaveBeenCalledTimes(FINGERPRINT_MEMO.maxEntries + 1);
    fingerprintOf(jwtBearer("eyJ.a.0")); // the oldest: forgotten
    expect(hmacs).toHaveBeenCalledTimes(FINGERPRINT_MEMO.maxEntries + 2);
  });

  it(`remembers at most ${FINGERPRINT_MEMO.maxChars} characters of encodings: long assertions cannot grow it past that`, () => {
    const fingerprintOf = createFingerprinter(KEY);
    const long = (i: number) => jwtBearer(`eyJ.${"x".repeat(8_000)}.${i}`);
    const fit = Math.floor(FINGERPRINT_MEMO.maxChars / 8_100); // each encoding is a little over 8,000 characters
    for (let i = 0; i <= fit; i++) fingerprintOf(long(i));
    expect(hmacs).toHaveBeenCalledTimes(fit + 1);
    fingerprintOf(long(fit)); // the newest: remembered
    expect(hmacs).toHaveBeenCalledTimes(fit + 1);
    fingerprintOf(long(0)); // the oldest: pushed out by size, long before the entry count
    expect(hmacs).toHaveBeenCalledTimes(fit + 2);
  });

  it(`forgets an exchange ${FINGERPRINT_MEMO.ttlMs / 60_000} minutes after it was computed, however often it is asked`, () => {
    let clock = 1_000_000;
    const fingerprintOf = createFingerprinter(KEY, () => clock);
    const request = jwtBearer("eyJ.a.b");
    fingerprintOf(request);
    clock += FINGERPRINT_MEMO.ttlMs - 1;
    expect(fingerprintOf(request)).toBe(fingerprintTokenRequest(request, KEY));
    expect(hmacs).toHaveBeenCalledTimes(1 + 1); // the first and the reference
    clock += 1;
    expect(fingerprintOf(request)).toBe(fingerprintTokenRequest(request, KEY));
    expect(hmacs).toHaveBeenCalledTimes(2 + 2); // computed again, then remembered anew
    fingerprintOf(request);
    expect(hmacs).toHaveBeenCalledTimes(4);
  });

  it("publishes nothing of a grant on lru-cache's diagnostics channel (what APM agents subscribe to)", () => {
    const seen: string[] = [];
    const listener = (message: unknown) => void seen.push(JSON.stringify(message, (_key, value) => (value instanceof Map || typeof value === "function" ? undefined : value)) ?? "");
    channel("lru-cache:metrics").subscribe(listener);
    try {
      const fingerprintOf = createFingerprinter(KEY);
      for (let i = 0; i < 3; i++) fingerprintOf(jwtBearer("eyJ.grant-SeCrEt.sig"));
    } finally {
      channel("lru-cache:metrics").unsubscribe(listener);
    }
    expect(seen.join("\n")).not.toContain("grant-SeCrEt");
  });
});

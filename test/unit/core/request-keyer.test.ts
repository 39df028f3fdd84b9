import * as crypto from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { TokenRequest } from "../../../src/tokens/token.types.js";

// Counts the HMACs and the validations the keyer runs: what its memo saves is the only thing it changes.
vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return { ...original, createHmac: vi.fn(original.createHmac) };
});
vi.mock("../../../src/tokens/grant-validation.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../../src/tokens/grant-validation.js")>();
  return { ...original, validateTokenRequest: vi.fn(original.validateTokenRequest) };
});
const hmacs = vi.mocked(crypto.createHmac);
type Modules = {
  keyer: typeof import("../../../src/tokens/request-keyer.js");
  fingerprint: typeof import("../../../src/tokens/fingerprint.js");
  validation: typeof import("../../../src/tokens/grant-validation.js");
};
let modules: Modules;
// Loaded afresh, so they bind the counting functions even where an earlier test file in the same
// worker loaded them already (Stryker runs the files without isolation).
beforeAll(async () => {
  vi.resetModules();
  modules = {
    keyer: await import("../../../src/tokens/request-keyer.js"),
    fingerprint: await import("../../../src/tokens/fingerprint.js"),
    validation: await import("../../../src/tokens/grant-validation.js"),
  };
});
const validations = () => vi.mocked(modules.validation.validateTokenRequest).mock.calls.length;
/** The memo's bounds (src/tokens/request-keyer.ts REQUEST_KEY_MEMO), written here so a change to them is a visible test change. */
const REQUEST_KEY_MEMO = { maxEntries: 1_000, maxChars: 2_000_000, ttlMs: 300_000 };

const KEY = Buffer.from("k".repeat(32));
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const OTHER_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-333333333333";
const POLICY = { defaultClientId: APP, allowedClientIds: [APP, OTHER_APP] };
const jwtBearer = (assertion: string, extra: Partial<TokenRequest> = {}): TokenRequest => ({ grantType: "JWT_BEARER", assertion, ...extra });
const keyer = (now?: () => number) => modules.keyer.createRequestKeyer(POLICY, KEY, now);
/** Has the keyer remember `request`: it remembers a request the second time it computes it. */
const learn = (keyOf: ReturnType<typeof keyer>, request: TokenRequest) => (keyOf(request), keyOf(request));
/** What the keyer must answer: validation, then the fingerprint of the validated request. */
const expected = (request: TokenRequest, key = KEY) => {
  const valid = modules.validation.validateTokenRequest(request, POLICY);
  return { request: valid, fingerprint: modules.fingerprint.fingerprintTokenRequest(valid, key) };
};

beforeEach(() => {
  hmacs.mockClear();
  vi.mocked(modules.validation.validateTokenRequest).mockClear();
});

describe("createRequestKeyer", () => {
  it("answers the validated request and its fingerprint for every grant, remembered or not", () => {
    const keyOf = keyer();
    const requests: TokenRequest[] = [
      jwtBearer("eyJ.a.b", { scope: ["openid", "aws"] }),
      { grantType: "TOKEN_EXCHANGE", subjectToken: "aoa-token", subjectTokenType: "urn:ietf:params:oauth:token-type:access_token", clientId: OTHER_APP },
      { grantType: "REFRESH_TOKEN", refreshToken: "aor-token" },
      { grantType: "AUTHORIZATION_CODE", code: "code", redirectUri: "https://app.example/cb" },
    ];
    for (const request of requests) {
      expect(keyOf(request)).toEqual(expected(request));
      expect(keyOf(request)).toEqual(expected(request));
    }
  });

  it("validates and hashes a replayable request twice (seen, then remembered), then never again; a different one anew", () => {
    const keyOf = keyer();
    const first = keyOf(jwtBearer("eyJ.a.b", { scope: ["openid", "aws"] }));
    const second = keyOf(jwtBearer("eyJ.a.b", { scope: ["openid", "aws"] }));
    expect(second).toEqual(first);
    // The same request again, omitted fields null or absent alike: remembered, the very same answer.
    expect(keyOf(jwtBearer("eyJ.a.b", { scope: ["openid", "aws"], clientId: null, code: null }))).toBe(second);
    expect(keyOf(jwtBearer("eyJ.a.b", { scope: ["openid", "aws"] }))).toBe(second);
    expect(hmacs).toHaveBeenCalledTimes(2);
    expect(validations()).toBe(2);
    // Another assertion, another scope: never the remembered answer.
    expect(keyOf(jwtBearer("eyJ.a.c", { scope: ["openid", "aws"] })).fingerprint).not.toBe(first.fingerprint);
    expect(keyOf(jwtBearer("eyJ.a.b", { scope: ["openid"] })).fingerprint).not.toBe(first.fingerprint);
    expect(hmacs).toHaveBeenCalledTimes(4);
    expect(validations()).toBe(4);
  });

  it("remembers nothing of a request seen once: a stream of distinct exchanges leaves the ones that repeat in place", () => {
    const keyOf = keyer();
    learn(keyOf, jwtBearer("eyJ.a.repeated"));
    for (let i = 0; i < 10 * REQUEST_KEY_MEMO.maxEntries; i++) keyOf(jwtBearer(`eyJ.a.${i}`));
    expect(keyOf.remembered()).toBe(1);
    hmacs.mockClear();
    keyOf(jwtBearer("eyJ.a.repeated"));
    expect(hmacs).not.toHaveBeenCalled();
  });

  it(`notes at most ${REQUEST_KEY_MEMO.maxEntries} requests seen once: a request seen again after that many others counts as new`, () => {
    const keyOf = keyer();
    keyOf(jwtBearer("eyJ.a.kept"));
    for (let i = 0; i < REQUEST_KEY_MEMO.maxEntries - 1; i++) keyOf(jwtBearer(`eyJ.a.${i}`));
    keyOf(jwtBearer("eyJ.a.kept")); // the 1,000th first sight was the last: still noted, so remembered now
    expect(keyOf.remembered()).toBe(1);
    keyOf(jwtBearer("eyJ.b.gone"));
    for (let i = 0; i < REQUEST_KEY_MEMO.maxEntries; i++) keyOf(jwtBearer(`eyJ.b.${i}`));
    keyOf(jwtBearer("eyJ.b.gone")); // pushed out of the notes: a first sight again
    expect(keyOf.remembered()).toBe(1);
  });

  it("validates a remembered grant again whenever another field differs, and refuses what validation refuses", () => {
    const keyOf = keyer();
    learn(keyOf, jwtBearer("eyJ.a.b"));
    vi.mocked(modules.validation.validateTokenRequest).mockClear();
    expect(() => keyOf(jwtBearer("eyJ.a.b", { clientId: "arn:aws:sso::999999999999:application/ssoins-x/apl-not-allowed" }))).toThrow(
      expect.objectContaining({ code: "BAD_USER_INPUT", details: { field: "input.clientId" } }),
    );
    expect(() => keyOf(jwtBearer("eyJ.a.b", { code: "also-a-code" }))).toThrow(expect.objectContaining({ code: "BAD_USER_INPUT", details: { field: "input.code" } }));
    expect(() => keyOf({ grantType: "TOKEN_EXCHANGE", subjectToken: "eyJ.a.b" })).toThrow(expect.objectContaining({ details: { field: "input.subjectTokenType" } }));
    // The same exchange under its explicit application is validated anew and keyed the same.
    expect(keyOf(jwtBearer("eyJ.a.b", { clientId: APP })).fingerprint).toBe(keyOf(jwtBearer("eyJ.a.b")).fingerprint);
    expect(validations()).toBe(3 + 2); // a grant has one entry: the last two requests each replaced it
  });

  it("never remembers a request validation refused: each is refused anew", () => {
    const keyOf = keyer();
    const refused = jwtBearer("eyJ.a.b", { scope: [] });
    for (let i = 0; i < 3; i++) expect(() => keyOf(refused)).toThrow(expect.objectContaining({ code: "BAD_USER_INPUT", details: { field: "input.scope" } }));
    expect(validations()).toBe(3);
    expect(hmacs).not.toHaveBeenCalled();
  });

  it("never remembers a single-use grant (refresh token, authorization code): each is validated and hashed every time", () => {
    const keyOf = keyer();
    const refresh: TokenRequest = { grantType: "REFRESH_TOKEN", refreshToken: "aor-token" };
    const code: TokenRequest = { grantType: "AUTHORIZATION_CODE", code: "code", redirectUri: "https://app.example/cb" };
    for (let i = 0; i < 3; i++) keyOf(refresh), keyOf(code);
    expect(hmacs).toHaveBeenCalledTimes(6);
    expect(validations()).toBe(6);
    expect(keyOf.remembered()).toBe(0);
  });

  it("keeps one memo per gateway secret", () => {
    const other = Buffer.from("j".repeat(32));
    const request = jwtBearer("eyJ.a.b");
    expect(keyer()(request).fingerprint).not.toBe(modules.keyer.createRequestKeyer(POLICY, other)(request).fingerprint);
    expect(modules.keyer.createRequestKeyer(POLICY, other)(request)).toEqual(expected(request, other));
  });

  it(`remembers at most ${REQUEST_KEY_MEMO.maxEntries} requests, the least recently used forgotten first`, () => {
    const keyOf = keyer();
    for (let i = 0; i <= REQUEST_KEY_MEMO.maxEntries; i++) learn(keyOf, jwtBearer(`eyJ.a.${i}`));
    expect(keyOf.remembered()).toBe(REQUEST_KEY_MEMO.maxEntries);
    hmacs.mockClear();
    keyOf(jwtBearer(`eyJ.a.${REQUEST_KEY_MEMO.maxEntries}`)); // the newest: remembered
    expect(hmacs).not.toHaveBeenCalled();
    keyOf(jwtBearer("eyJ.a.0")); // the oldest: forgotten
    expect(hmacs).toHaveBeenCalledTimes(1);
  });

  it("refreshes a request's place when it is asked again", () => {
    const keyOf = keyer();
    for (let i = 0; i < REQUEST_KEY_MEMO.maxEntries; i++) learn(keyOf, jwtBearer(`eyJ.a.${i}`));
    keyOf(jwtBearer("eyJ.a.0")); // now the most recent
    learn(keyOf, jwtBearer("eyJ.a.new")); // pushes out eyJ.a.1, the least recent
    hmacs.mockClear();
    keyOf(jwtBearer("eyJ.a.0"));
    expect(hmacs).not.toHaveBeenCalled();
    keyOf(jwtBearer("eyJ.a.1"));
    expect(hmacs).toHaveBeenCalledTimes(1);
  });

  it(`remembers at most ${REQUEST_KEY_MEMO.maxChars} characters: long assertions cannot grow it past that`, () => {
    const keyOf = keyer();
    const long = (i: number) => jwtBearer(`eyJ.${"x".repeat(8_000)}.${i}`);
    // Each entry is its assertion (8,005-8,007 characters) and its other fields' encoding (65): 8,070-8,072.
    const fit = Math.floor(REQUEST_KEY_MEMO.maxChars / 8_075);
    for (let i = 0; i <= fit; i++) learn(keyOf, long(i));
    expect(keyOf.remembered()).toBe(fit);
    hmacs.mockClear();
    keyOf(long(fit)); // the newest: remembered
    expect(hmacs).not.toHaveBeenCalled();
    keyOf(long(0)); // the oldest: pushed out by size, long before the entry count
    expect(hmacs).toHaveBeenCalledTimes(1);
  });

  it("counts a replaced entry's characters out: the same grant asked with other fields, over and over, never fills it", () => {
    const keyOf = keyer();
    const assertion = `eyJ.${"x".repeat(8_000)}.sig`;
    const fit = Math.floor(REQUEST_KEY_MEMO.maxChars / 8_100);
    for (let i = 0; i < 2 * fit; i++) learn(keyOf, jwtBearer(assertion, { clientId: i % 2 === 0 ? APP : OTHER_APP }));
    learn(keyOf, jwtBearer("eyJ.a.small"));
    hmacs.mockClear();
    keyOf(jwtBearer("eyJ.a.small"));
    keyOf(jwtBearer(assertion, { clientId: OTHER_APP }));
    expect(hmacs).not.toHaveBeenCalled();
  });

  it(`forgets a request ${REQUEST_KEY_MEMO.ttlMs / 60_000} minutes after it was computed, however often it is asked`, () => {
    let clock = 1_000_000;
    const keyOf = keyer(() => clock);
    const request = jwtBearer("eyJ.a.b");
    learn(keyOf, request);
    clock += REQUEST_KEY_MEMO.ttlMs - 1;
    hmacs.mockClear();
    keyOf(request);
    expect(hmacs).not.toHaveBeenCalled();
    clock += 1;
    expect(keyOf(request)).toEqual(expected(request));
    expect(hmacs).toHaveBeenCalledTimes(1 + 1); // computed again, and the reference
    keyOf(request);
    expect(hmacs).toHaveBeenCalledTimes(2);
  });

  it("answers a frozen copy of the validated request, the same for every caller that matches it", () => {
    const keyOf = keyer();
    const scope = ["openid", "aws"];
    keyOf(jwtBearer("eyJ.a.b", { scope }));
    const first = keyOf(jwtBearer("eyJ.a.b", { scope }));
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.request)).toBe(true);
    expect(Object.isFrozen(first.request.scope)).toBe(true);
    expect(first.request.scope).not.toBe(scope); // the caller's own list is neither kept nor frozen
    expect(Object.isFrozen(scope)).toBe(false);
    expect(keyOf(jwtBearer("eyJ.a.b", { scope: ["openid", "aws"] }))).toBe(first);
  });

  it.each([
    ["NaN", Number.NaN],
    ["a function", () => APP],
    ["an object whose JSON is null", { toJSON: () => null }],
    ["a list holding a number", [1]],
  ])("validates a request whose other field is %s every time, never answering it from memory", (_what, clientId) => {
    const keyOf = keyer();
    learn(keyOf, jwtBearer("eyJ.a.b"));
    expect(() => keyOf(jwtBearer("eyJ.a.b", { clientId: clientId as never }))).toThrow(expect.objectContaining({ code: "BAD_USER_INPUT" }));
    expect(validations()).toBe(3);
  });

  it("validates a scope holding a String object every time, though its JSON is a remembered scope's", () => {
    const keyOf = keyer();
    learn(keyOf, jwtBearer("eyJ.a.b", { scope: ["aws", "openid"] }));
    // eslint-disable-next-line no-new-wrappers -- what a programmatic caller might pass
    const scope = ["aws", new String("openid")] as unknown as string[];
    expect(() => keyOf(jwtBearer("eyJ.a.b", { scope }))).toThrow(expect.objectContaining({ code: "BAD_USER_INPUT", details: { field: "input.scope" } }));
  });

  it("drops expired entries from the least recently used end as requests come, one per request", () => {
    let clock = 1_000_000;
    const keyOf = keyer(() => clock);
    learn(keyOf, jwtBearer("eyJ.a.old"));
    learn(keyOf, jwtBearer("eyJ.a.older"));
    expect(keyOf.remembered()).toBe(2);
    clock += REQUEST_KEY_MEMO.ttlMs;
    keyOf({ grantType: "REFRESH_TOKEN", refreshToken: "aor" }); // not remembered, and drops nothing
    expect(keyOf.remembered()).toBe(2);
    keyOf(jwtBearer("eyJ.a.new"));
    expect(keyOf.remembered()).toBe(1); // one expired dropped, nothing added (seen once)
    keyOf(jwtBearer("eyJ.a.new"));
    expect(keyOf.remembered()).toBe(1); // the other expired dropped, the new one remembered
  });
});

import { describe, expect, it } from "vitest";
import { createGrantPrecheck, decodeAssertion, precheckGrant } from "../../../src/tokens/grant-precheck.js";
import { toIssuedToken } from "../../../src/tokens/issued-token.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/** The local pre-check at its edges: the clock skew boundary, what is remembered, and what is not checked at all. */
const NOW_MS = 1_700_000_000_000;
const nowS = NOW_MS / 1000;
const bearer = (assertion: string) => ({ clientId: "app", grantType: "JWT_BEARER" as const, assertion });
const refusalOf = (run: () => void) => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};
const EXPIRED = { code: "INVALID_GRANT", message: "The assertion has expired (exp is in the past); refused by the gateway without calling AWS.", details: { field: "input.assertion" } };

describe("grant pre-check edges", () => {
  it("accepts an assertion exactly at the end of the 60 s clock skew and refuses it one millisecond later", () => {
    const atEdge = bearer(unsignedJwt({ exp: nowS - 60 }));
    expect(refusalOf(() => precheckGrant(atEdge, {}, NOW_MS))).toBeUndefined();
    expect(refusalOf(() => precheckGrant(atEdge, {}, NOW_MS + 1))).toMatchObject(EXPIRED);
  });

  it("leaves a non-numeric or non-finite exp to AWS", () => {
    for (const exp of ["0", null]) expect(refusalOf(() => precheckGrant(bearer(unsignedJwt({ exp })), {}, NOW_MS))).toBeUndefined();
    // -1e400 parses to -Infinity, a definite-looking past that is no real exp; written by hand, JSON.stringify cannot produce it.
    const [header, , signature] = unsignedJwt().split(".");
    const pastInfinity = `${header}.${Buffer.from('{"exp":-1e400}').toString("base64url")}.${signature}`;
    expect(refusalOf(() => precheckGrant(bearer(pastInfinity), {}, NOW_MS))).toBeUndefined();
  });

  it("checks only JWT-bearer grants that carry an assertion", () => {
    expect(refusalOf(() => precheckGrant({ clientId: "app", grantType: "TOKEN_EXCHANGE", assertion: "garbage" }, {}, NOW_MS))).toBeUndefined();
    expect(refusalOf(() => precheckGrant({ clientId: "app", grantType: "JWT_BEARER" }, {}, NOW_MS))).toBeUndefined();
    const precheck = createGrantPrecheck({});
    expect(refusalOf(() => precheck.check({ clientId: "app", grantType: "TOKEN_EXCHANGE", assertion: "garbage" }, "fp", NOW_MS))).toBeUndefined();
    expect(refusalOf(() => precheck.check({ clientId: "app", grantType: "JWT_BEARER" }, "fp", NOW_MS))).toBeUndefined();
  });

  it("remembers a passing verdict by fingerprint and still applies the clock to it on every check", () => {
    const precheck = createGrantPrecheck({});
    const assertion = unsignedJwt({ exp: nowS + 100 });
    precheck.check(bearer(assertion), "fp-1", NOW_MS);
    // Same fingerprint: the remembered exp is used, so a different assertion under it is not decoded again.
    expect(refusalOf(() => precheck.check(bearer("not.a.jwt!"), "fp-1", NOW_MS))).toBeUndefined();
    expect(refusalOf(() => precheck.check(bearer(assertion), "fp-1", NOW_MS + 161_000))).toMatchObject(EXPIRED);
  });

  it("never remembers a refusal: a fingerprint refused once is judged again", () => {
    const precheck = createGrantPrecheck({});
    expect(refusalOf(() => precheck.check(bearer("x.y"), "fp", NOW_MS))).toMatchObject({ code: "INVALID_GRANT" });
    expect(refusalOf(() => precheck.check(bearer(unsignedJwt({ exp: nowS + 100 })), "fp", NOW_MS))).toBeUndefined();
  });

  it("forgets every remembered verdict once it holds maxEntries, and not before", () => {
    const precheck = createGrantPrecheck({}, { maxEntries: 2 });
    precheck.check(bearer(unsignedJwt({ exp: nowS + 100 })), "a", NOW_MS);
    precheck.check(bearer(unsignedJwt({ exp: nowS + 100 })), "b", NOW_MS);
    // Two held: both still answer from memory (a garbage assertion under them passes).
    expect(refusalOf(() => precheck.check(bearer("garbage"), "a", NOW_MS))).toBeUndefined();
    expect(refusalOf(() => precheck.check(bearer("garbage"), "b", NOW_MS))).toBeUndefined();
    precheck.check(bearer(unsignedJwt({ exp: nowS + 100 })), "c", NOW_MS);
    expect(refusalOf(() => precheck.check(bearer("garbage"), "a", NOW_MS))).toMatchObject({ code: "INVALID_GRANT" });
    expect(refusalOf(() => precheck.check(bearer("garbage"), "c", NOW_MS))).toBeUndefined();
  });

  it("refuses an issuer outside TRUSTED_TOKEN_ISSUERS, and a missing one, before any clock check", () => {
    const policy = { trustedTokenIssuers: ["https://idp.example"] };
    const untrusted = { code: "INVALID_GRANT", message: "The assertion's issuer (iss) is not one of this gateway's trusted token issuers (TRUSTED_TOKEN_ISSUERS); refused by the gateway without calling AWS." };
    expect(refusalOf(() => precheckGrant(bearer(unsignedJwt({ iss: "https://other.example", exp: nowS + 100 })), policy, NOW_MS))).toMatchObject(untrusted);
    expect(refusalOf(() => precheckGrant(bearer(unsignedJwt({ iss: undefined, exp: nowS + 100 })), policy, NOW_MS))).toMatchObject(untrusted);
    expect(refusalOf(() => precheckGrant(bearer(unsignedJwt({ exp: nowS + 100 })), policy, NOW_MS))).toBeUndefined();
  });

  it("holds 4096 verdicts by default", () => {
    const precheck = createGrantPrecheck({});
    const assertion = unsignedJwt({ exp: nowS + 100 });
    for (let n = 0; n < 4096; n++) precheck.check(bearer(assertion), `fp-${n}`, NOW_MS);
    expect(refusalOf(() => precheck.check(bearer("garbage"), "fp-0", NOW_MS))).toBeUndefined();
  });

  it("refuses a header or payload that is JSON but not an object", () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    expect(decodeAssertion(`${part([1])}.${part({})}.sig`)).toEqual({ ok: false, reason: "The assertion's header is not a JSON object" });
    expect(decodeAssertion(`${part({})}.${part(null)}.sig`)).toEqual({ ok: false, reason: "The assertion's payload is not a JSON object" });
    expect(decodeAssertion(`${part({})}.${part("s")}.sig`)).toEqual({ ok: false, reason: "The assertion's payload is not a JSON object" });
  });
});

describe("AWS's answer as handed up", () => {
  it("copies only the fields AWS sent: an absent field stays absent, not undefined", () => {
    expect(Object.keys(toIssuedToken({}, "app", 5))).toEqual(["issuedAt", "clientId"]);
    const full = { accessToken: "a", tokenType: "Bearer", expiresIn: 1, refreshToken: "r", idToken: "i", issuedTokenType: "t", scope: ["s"], awsAdditionalDetails: { identityContext: "c" } };
    expect(toIssuedToken(full, "app", 5)).toEqual({ ...full, issuedAt: 5, clientId: "app" });
  });
});

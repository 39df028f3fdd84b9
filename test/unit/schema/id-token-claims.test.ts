import { describe, expect, it } from "vitest";
import { decodeIdTokenClaims, decodeJwtPayload, idTokenClaimsOf, timeClaim } from "../../../src/tokens/id-token-claims.js";

const encode = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const jwt = (payload: unknown) => `${encode({ alg: "RS256", typ: "JWT" })}.${encode(payload)}.c2lnbmF0dXJl`;

/** The decoded idToken of AWS's CreateTokenWithIAM documentation example. */
const AWS_EXAMPLE_CLAIMS = {
  "aws:identity_store_id": "d-abcd1234",
  sub: "12345678-1234-1234-1234-123456789012",
  "aws:instance_account": "111122223333",
  "sts:identity_context": "EXAMPLEIDENTITYCONTEXT",
  "sts:audit_context": "EXAMPLEAUDITCONTEXT",
  iss: "https://identitycenter.amazonaws.com/ssoins-1111111111111111",
  "aws:identity_store_arn": "arn:aws:identitystore::111122223333:identitystore/d-abcd1234",
  aud: "abcd12344321",
  "aws:instance_arn": "arn:aws:sso:::instance/ssoins-1111111111111111",
  "aws:credential_id": "EXAMPLECREDENTIALID",
  auth_time: "2020-01-01T00:00:00Z",
  exp: 1627649460,
  iat: 1627645860,
};

describe("decodeIdTokenClaims", () => {
  it("maps AWS's example idToken to typed claims, keeping every claim in raw", () => {
    const claims = decodeIdTokenClaims(jwt(AWS_EXAMPLE_CLAIMS));
    expect(claims).toEqual({
      subject: "12345678-1234-1234-1234-123456789012",
      issuer: "https://identitycenter.amazonaws.com/ssoins-1111111111111111",
      audience: ["abcd12344321"],
      issuedAt: new Date(1627645860 * 1000),
      expiresAt: new Date(1627649460 * 1000),
      authTime: new Date("2020-01-01T00:00:00Z"),
      identityStoreId: "d-abcd1234",
      identityStoreArn: "arn:aws:identitystore::111122223333:identitystore/d-abcd1234",
      instanceArn: "arn:aws:sso:::instance/ssoins-1111111111111111",
      instanceAccount: "111122223333",
      credentialId: "EXAMPLECREDENTIALID",
      identityContext: "EXAMPLEIDENTITYCONTEXT",
      auditContext: "EXAMPLEAUDITCONTEXT",
      raw: AWS_EXAMPLE_CLAIMS,
    });
  });

  it("reads aud given as an array, dropping non-string members", () => {
    expect(decodeIdTokenClaims(jwt({ aud: ["app-1", 7, "app-2"] }))?.audience).toEqual(["app-1", "app-2"]);
  });

  it("answers an empty audience when aud is absent", () => {
    expect(decodeIdTokenClaims(jwt({ sub: "alice" }))?.audience).toEqual([]);
  });

  it("reads auth_time as a NumericDate too", () => {
    expect(decodeIdTokenClaims(jwt({ auth_time: 1700000000 }))?.authTime?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
  });

  it("answers null for claims of the wrong type instead of failing", () => {
    const claims = decodeIdTokenClaims(jwt({ sub: 42, iat: "yesterday", exp: null, "aws:instance_arn": {} }));
    expect(claims).toMatchObject({ subject: null, issuedAt: null, expiresAt: null, instanceArn: null });
  });

  it("is null when there is no idToken", () => {
    expect(decodeIdTokenClaims(undefined)).toBeNull();
    expect(decodeIdTokenClaims(null)).toBeNull();
  });

  it("is null for a malformed idToken", () => {
    expect(decodeIdTokenClaims("")).toBeNull();
    expect(decodeIdTokenClaims("not-a-jwt")).toBeNull();
    expect(decodeIdTokenClaims("a.b")).toBeNull();
    expect(decodeIdTokenClaims("a.b.c.d.e")).toBeNull();
    expect(decodeIdTokenClaims(`${encode({ alg: "none" })}..sig`)).toBeNull();
    expect(decodeIdTokenClaims(`${encode({ alg: "none" })}.pay+load/==.sig`)).toBeNull();
  });

  it("is null when the payload is not JSON", () => {
    expect(decodeIdTokenClaims(jwt("this is not json"))).toBeNull();
  });

  it("is null when the payload is JSON but not an object", () => {
    expect(decodeIdTokenClaims(jwt([1, 2, 3]))).toBeNull();
    expect(decodeIdTokenClaims(jwt("\"a string\""))).toBeNull();
    expect(decodeIdTokenClaims(jwt("null"))).toBeNull();
  });
});

describe("decodeJwtPayload", () => {
  it("decodes the middle segment without checking the signature", () => {
    expect(decodeJwtPayload(jwt({ sub: "alice" }))).toEqual({ sub: "alice" });
  });
});

describe("timeClaim", () => {
  it("reads NumericDate seconds and ISO-8601 strings", () => {
    expect(timeClaim(0)?.toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(timeClaim("2020-01-01T00:00:00Z")?.toISOString()).toBe("2020-01-01T00:00:00.000Z");
  });

  it("is null for anything that is not a valid time", () => {
    expect(timeClaim("not a date")).toBeNull();
    expect(timeClaim("")).toBeNull();
    expect(timeClaim("1627645860")).toBeNull();
    expect(timeClaim(Number.POSITIVE_INFINITY)).toBeNull();
    expect(timeClaim(1e20)).toBeNull();
    expect(timeClaim(true)).toBeNull();
    expect(timeClaim(null)).toBeNull();
  });
});

describe("idTokenClaimsOf", () => {
  it("decodes a response's idToken once and answers the same claims object for that response again", () => {
    const response = { idToken: jwt({ sub: "alice" }) };
    const first = idTokenClaimsOf(response);
    expect(first?.subject).toBe("alice");
    expect(idTokenClaimsOf(response)).toBe(first);
  });

  it("decodes each response object on its own, and remembers null for one without a well-formed idToken", () => {
    const bob = { idToken: jwt({ sub: "bob" }) };
    const none = { idToken: "not-a-jwt" };
    expect(idTokenClaimsOf(bob)?.subject).toBe("bob");
    expect(idTokenClaimsOf({ idToken: jwt({ sub: "carol" }) })?.subject).toBe("carol");
    expect(idTokenClaimsOf(none)).toBeNull();
    expect(idTokenClaimsOf(none)).toBeNull();
    expect(idTokenClaimsOf({})).toBeNull();
  });
});

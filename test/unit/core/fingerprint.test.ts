import { describe, expect, it } from "vitest";
import { fingerprintTokenRequest } from "../../../src/tokens/fingerprint.js";
import type { ValidTokenRequest } from "../../../src/tokens/grant-validation.js";

const KEY = Buffer.from("k".repeat(32));
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

const base: ValidTokenRequest = {
  clientId: APP,
  grantType: "AUTHORIZATION_CODE",
  code: "code-SeCrEt-0123456789",
  redirectUri: "https://mywebapp.example/redirect",
  codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
  scope: ["openid", "aws"],
};

describe("fingerprintTokenRequest", () => {
  it("gives the same key for the same input", () => {
    expect(fingerprintTokenRequest({ ...base }, KEY)).toBe(fingerprintTokenRequest({ ...base, scope: ["openid", "aws"] }, KEY));
  });

  it("ignores the order of scopes (a set)", () => {
    expect(fingerprintTokenRequest({ ...base, scope: ["aws", "openid"] }, KEY)).toBe(fingerprintTokenRequest(base, KEY));
  });

  it("is 64 hex characters", () => {
    expect(fingerprintTokenRequest(base, KEY)).toMatch(/^[0-9a-f]{64}$/);
  });

  const changes: Array<[string, Partial<ValidTokenRequest>]> = [
    ["clientId", { clientId: `${APP}3` }],
    ["grantType", { grantType: "REFRESH_TOKEN" }],
    ["code", { code: "code-SeCrEt-0123456780" }],
    ["redirectUri", { redirectUri: "https://mywebapp.example/other" }],
    ["codeVerifier", { codeVerifier: "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" }],
    ["codeVerifier removed", { codeVerifier: undefined }],
    ["scope", { scope: ["openid"] }],
    ["scope removed", { scope: undefined }],
    ["assertion", { assertion: "x" }],
    ["refreshToken", { refreshToken: "x" }],
    ["subjectToken", { subjectToken: "x" }],
    ["subjectTokenType", { subjectTokenType: "urn:ietf:params:oauth:token-type:access_token" }],
    ["requestedTokenType", { requestedTokenType: "urn:amazon:webservices:token" }],
  ];
  it.each(changes)("changes when %s changes", (_field, change) => {
    expect(fingerprintTokenRequest({ ...base, ...change }, KEY)).not.toBe(fingerprintTokenRequest(base, KEY));
  });

  it("cannot be confused by moving characters between fields", () => {
    const a = fingerprintTokenRequest({ ...base, code: "ab", redirectUri: "c:d" }, KEY);
    const b = fingerprintTokenRequest({ ...base, code: "a", redirectUri: "bc:d" }, KEY);
    expect(a).not.toBe(b);
  });

  it("gives different keys for the same secret input in different fields", () => {
    const asCode = fingerprintTokenRequest({ clientId: APP, grantType: "REFRESH_TOKEN", code: "same" }, KEY);
    const asRefresh = fingerprintTokenRequest({ clientId: APP, grantType: "REFRESH_TOKEN", refreshToken: "same" }, KEY);
    expect(asCode).not.toBe(asRefresh);
  });

  it("depends on the gateway secret", () => {
    expect(fingerprintTokenRequest(base, Buffer.from("j".repeat(32)))).not.toBe(fingerprintTokenRequest(base, KEY));
  });

  it("contains no substring of the secret input", () => {
    for (const secret of ["deadbeefcafe0123456789abcdef", "0123456789abcdef0123456789abcdef"]) {
      const key = fingerprintTokenRequest({ clientId: APP, grantType: "REFRESH_TOKEN", refreshToken: secret }, KEY);
      for (let start = 0; start + 8 <= secret.length; start++) expect(key).not.toContain(secret.slice(start, start + 8));
    }
  });
});

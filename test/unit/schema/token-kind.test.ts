import { describe, expect, it } from "vitest";
import { computeCanRefresh, computeIsAwsToken } from "../../../src/schema/computed/token-kind.js";

describe("computeIsAwsToken", () => {
  it("is true only for issuedTokenType urn:amazon:webservices:token", () => {
    expect(computeIsAwsToken({ issuedTokenType: "urn:amazon:webservices:token" })).toBe(true);
    expect(computeIsAwsToken({ issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token" })).toBe(false);
    expect(computeIsAwsToken({ issuedTokenType: "urn:ietf:params:oauth:token-type:access_token" })).toBe(false);
    expect(computeIsAwsToken({})).toBe(false);
  });
});

describe("computeCanRefresh", () => {
  it("is true when a non-empty refresh token is present", () => {
    expect(computeCanRefresh({ refreshToken: "aorv-example" })).toBe(true);
  });

  it("is false when the refresh token is missing, null or empty", () => {
    expect(computeCanRefresh({})).toBe(false);
    expect(computeCanRefresh({ refreshToken: null })).toBe(false);
    expect(computeCanRefresh({ refreshToken: "" })).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { validateTokenRequest } from "../../../src/tokens/grant-validation.js";

/**
 * clientId bounds hold whatever the allow-list holds: an empty or over-long id is refused even when
 * a misconfigured list names it, so no such id ever reaches a key, a log line or AWS.
 */
describe("clientId bounds", () => {
  const longest = "a".repeat(2048);
  const tooLong = "a".repeat(2049);
  const policy = { defaultClientId: "app", allowedClientIds: ["app", "", longest, tooLong] };
  const request = (clientId: string) => ({ clientId, grantType: "REFRESH_TOKEN" as const, refreshToken: "rt" });
  const REFUSED = {
    code: "BAD_USER_INPUT",
    message: "input.clientId must be one of the applications this gateway is configured for (ALLOWED_CLIENT_IDS), or omitted for the default",
    details: { field: "input.clientId" },
  };

  it("refuses an empty clientId and one over 2048 characters even when allow-listed", () => {
    expect(() => validateTokenRequest(request(""), policy)).toThrow(expect.objectContaining(REFUSED));
    expect(() => validateTokenRequest(request(tooLong), policy)).toThrow(expect.objectContaining(REFUSED));
  });

  it("accepts an allow-listed clientId of exactly 2048 characters", () => {
    expect(validateTokenRequest(request(longest), policy)).toEqual({ clientId: longest, grantType: "REFRESH_TOKEN", refreshToken: "rt" });
  });

  it("refuses a clientId that is not a string", () => {
    expect(() => validateTokenRequest({ ...request("app"), clientId: 7 as never }, { ...policy, allowedClientIds: [...policy.allowedClientIds, 7 as never] })).toThrow(expect.objectContaining(REFUSED));
  });
});

import { describe, expect, it } from "vitest";
import { validateTokenRequest } from "../../../src/tokens/grant-validation.js";
import type { TokenRequest } from "../../../src/tokens/token.types.js";

/** Grant validation at its edges: a field of the wrong type, and what the validated request carries. */
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const policy = { defaultClientId: APP, allowedClientIds: [APP] };

describe("grant validation", () => {
  it("refuses a present field that is not a string as 'must be a string', not as missing", () => {
    const request = { grantType: "JWT_BEARER", assertion: 42 } as unknown as TokenRequest;
    expect(() => validateTokenRequest(request, policy)).toThrow(
      expect.objectContaining({ code: "BAD_USER_INPUT", message: "input.assertion must be a string", details: { field: "input.assertion" } }),
    );
  });

  it("hands on only the fields the request set: one sent as null (GraphQL's omitted) is not even an undefined key", () => {
    const request: TokenRequest = { grantType: "REFRESH_TOKEN", refreshToken: "rt", clientId: null, scope: null, assertion: null, code: null, redirectUri: null };
    expect(Object.keys(validateTokenRequest(request, policy)).sort()).toEqual(["clientId", "grantType", "refreshToken"]);
  });
});

import { describe, expect, it } from "vitest";
import type { CredentialsConfig } from "../../../src/config/config.types.js";
import { CREDENTIALS_OFF, validateCredentialsRequest, type CredentialsRequest } from "../../../src/credentials/index.js";
import { GatewayError } from "../../../src/errors/error-codes.js";

const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const OTHER = "arn:aws:iam::123456789012:role/Analyst";
const CONTEXT = "an-identity-context";
const config: CredentialsConfig = { allowedRoleArns: [ROLE, OTHER], defaultRoleArn: ROLE, maxDurationSeconds: 3600, stsEndpoint: undefined };

function refusal(run: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { code: error.code, field: error.details.field, message: error.message };
  }
  throw new Error("expected a refusal");
}

describe("validateCredentialsRequest", () => {
  it("fills in DEFAULT_ROLE_ARN and one hour", () => {
    expect(validateCredentialsRequest({ identityContext: CONTEXT }, config, "input.")).toEqual({ identityContext: CONTEXT, roleArn: ROLE, durationSeconds: 3600 });
    expect(validateCredentialsRequest({ identityContext: CONTEXT, roleArn: null, durationSeconds: null }, config, "")).toEqual({ identityContext: CONTEXT, roleArn: ROLE, durationSeconds: 3600 });
  });

  it("defaults to one hour, or to the configured maximum when that is lower", () => {
    expect(validateCredentialsRequest({ identityContext: CONTEXT }, { ...config, maxDurationSeconds: 1200 }, "").durationSeconds).toBe(1200);
    expect(validateCredentialsRequest({ identityContext: CONTEXT }, { ...config, maxDurationSeconds: 1000 }, "").durationSeconds).toBe(900);
    expect(validateCredentialsRequest({ identityContext: CONTEXT }, { ...config, maxDurationSeconds: 43_200 }, "").durationSeconds).toBe(3600);
  });

  it("accepts a listed role and the exact bounds of the duration", () => {
    expect(validateCredentialsRequest({ identityContext: CONTEXT, roleArn: OTHER, durationSeconds: 900 }, config, "").roleArn).toBe(OTHER);
    expect(validateCredentialsRequest({ identityContext: CONTEXT, durationSeconds: 3600 }, config, "").durationSeconds).toBe(3600);
    expect(validateCredentialsRequest({ identityContext: "abcd" }, config, "").identityContext).toBe("abcd");
    expect(validateCredentialsRequest({ identityContext: "x".repeat(2048) }, config, "").identityContext).toHaveLength(2048);
  });

  // Plain `it` per case, not `it.each`: Stryker's vitest runner selects tests by name and did not run the
  // `it.each` cases against mutants here (every refusal mutant survived), so each case is its own test.
  const REFUSALS: Array<[string, CredentialsRequest, string]> = [
    ["an identity context of 3 characters", { identityContext: "abc" }, "input.identityContext"],
    ["an identity context of 2049 characters", { identityContext: "x".repeat(2049) }, "input.identityContext"],
    ["an unlisted role", { identityContext: CONTEXT, roleArn: "arn:aws:iam::123456789012:role/Admin" }, "input.roleArn"],
    ["899 seconds", { identityContext: CONTEXT, durationSeconds: 899 }, "input.durationSeconds"],
    ["3601 seconds", { identityContext: CONTEXT, durationSeconds: 3601 }, "input.durationSeconds"],
    ["a fractional duration", { identityContext: CONTEXT, durationSeconds: 1000.5 }, "input.durationSeconds"],
    ["a duration off the five-minute grid", { identityContext: CONTEXT, durationSeconds: 901 }, "input.durationSeconds"],
    // On the grid, outside the bounds: only the bounds refuse these.
    ["600 seconds", { identityContext: CONTEXT, durationSeconds: 600 }, "input.durationSeconds"],
    ["3900 seconds", { identityContext: CONTEXT, durationSeconds: 3900 }, "input.durationSeconds"],
    ["an identity context that is not a string", { identityContext: null as unknown as string }, "input.identityContext"],
  ];
  for (const [name, request, field] of REFUSALS) {
    it(`refuses ${name} with BAD_USER_INPUT naming the field`, () => {
      expect(refusal(() => validateCredentialsRequest(request, config, "input."))).toMatchObject({ code: "BAD_USER_INPUT", field });
    });
  }

  it("says what it accepts", () => {
    expect(refusal(() => validateCredentialsRequest({ identityContext: "abc" }, config, "")).message).toBe(
      "identityContext must be an Identity Center identity context (awsAdditionalDetails.identityContext) of 4 to 2048 characters.",
    );
    expect(refusal(() => validateCredentialsRequest({ identityContext: CONTEXT, durationSeconds: 600 }, config, "")).message).toBe(
      "durationSeconds must be a multiple of 300 from 900 to 3600 (CREDENTIALS_MAX_DURATION_SECONDS).",
    );
    expect(refusal(() => validateCredentialsRequest({ identityContext: CONTEXT, roleArn: "arn:aws:iam::123456789012:role/Admin" }, config, "")).message).toBe(
      "roleArn is not one of the roles this gateway may assume (ALLOWED_ROLE_ARNS).",
    );
  });

  it("never echoes the identity context in its refusal", () => {
    const secret = "s3cr3t-identity-context-".repeat(90);
    expect(refusal(() => validateCredentialsRequest({ identityContext: secret }, config, "")).message).not.toContain("s3cr3t");
  });

  it("refuses every request, naming roleArn, when the feature is not configured", () => {
    expect(refusal(() => validateCredentialsRequest({ identityContext: CONTEXT }, CREDENTIALS_OFF, ""))).toEqual({
      code: "BAD_USER_INPUT", field: "roleArn",
      message: "Identity-enhanced credentials are not configured on this gateway: an operator sets DEFAULT_ROLE_ARN (and ALLOWED_ROLE_ARNS).",
    });
  });

  it("asks for a role when roles are allowed but none is the default", () => {
    expect(refusal(() => validateCredentialsRequest({ identityContext: CONTEXT }, { ...config, defaultRoleArn: undefined }, "input."))).toMatchObject({
      code: "BAD_USER_INPUT", field: "input.roleArn", message: expect.stringMatching(/^roleArn is required: this gateway has no DEFAULT_ROLE_ARN/),
    });
  });
});

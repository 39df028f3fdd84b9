import * as sts from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../../../src/errors/error-codes.js";
import { mapUpstreamError, STS_EXCEPTION_CODES } from "../../../src/upstream/map-upstream-error.js";

/**
 * STS's answers to AssumeRole, as the JS SDK throws them, → the gateway's codes. The modeled
 * exceptions of AssumeRole are botocore's STS model's list for the operation; the rest are the
 * errors every Query-protocol service answers, which the SDK names by their wire code.
 */
const ASSUME_ROLE_MODEL_EXCEPTIONS = ["ExpiredTokenException", "MalformedPolicyDocumentException", "PackedPolicyTooLargeException", "RegionDisabledException"] as const;

const serviceError = (name: string, httpStatusCode: number, message = "User: arn:aws:iam::123456789012:user/gw is not authorized") =>
  new sts.STSServiceException({ name, $fault: httpStatusCode >= 500 ? "server" : "client", message, $metadata: { httpStatusCode, requestId: `req-${name}` } });

/** [exception, HTTP status, code, retryable, the member of the request it names in `field` (undefined: none)]. */
const EXPECTED: Array<[string, number, ErrorCode, boolean, string | undefined]> = [
  ["ExpiredTokenException", 400, "EXPIRED_TOKEN", false, "identityContext"],
  ["MalformedPolicyDocumentException", 400, "INVALID_REQUEST", false, undefined],
  ["PackedPolicyTooLargeException", 400, "INVALID_REQUEST", false, undefined],
  ["RegionDisabledException", 403, "INVALID_REQUEST_REGION", false, undefined],
  ["AccessDenied", 403, "ACCESS_DENIED", false, "roleArn"],
  ["InvalidParameterValue", 400, "INVALID_REQUEST", false, "identityContext"],
  // This message names no member (serviceError's): STS's own are read below.
  ["ValidationError", 400, "INVALID_REQUEST", false, undefined],
  ["Throttling", 400, "SLOW_DOWN", true, undefined],
  ["InternalFailure", 500, "UPSTREAM_SERVER_ERROR", true, undefined],
  ["ServiceUnavailable", 503, "UPSTREAM_UNAVAILABLE", true, undefined],
  // STS's front door: the gateway's own credentials.
  ["InvalidClientTokenId", 403, "GATEWAY_CREDENTIALS_INVALID", false, undefined],
  ["SignatureDoesNotMatch", 403, "GATEWAY_CREDENTIALS_INVALID", false, undefined],
  ["ExpiredToken", 403, "GATEWAY_CREDENTIALS_INVALID", false, undefined],
  ["MissingAuthenticationToken", 403, "GATEWAY_CREDENTIALS_INVALID", false, undefined],
];

describe("mapUpstreamError: STS's AssumeRole answers", () => {
  it("lists every modeled exception of AssumeRole, and each is an exception class of the SDK's STS client", () => {
    for (const name of ASSUME_ROLE_MODEL_EXCEPTIONS) {
      expect(Object.keys(STS_EXCEPTION_CODES)).toContain(name);
      const Class = (sts as unknown as Record<string, new (options: Record<string, unknown>) => Error>)[name];
      expect(new Class!({ message: "m", $metadata: {} }).name).toBe(name);
    }
  });

  it.each(EXPECTED)("maps %s (HTTP %i) to %s, with the exception's name, request id and refused member but never its message", (name, status, code, retryable, field) => {
    const mapped = mapUpstreamError(serviceError(name, status), "sts");
    expect({ code: mapped.code, retryable: mapped.retryable }).toEqual({ code, retryable });
    expect(mapped.message).not.toContain("arn:aws:iam::");
    if (code !== "GATEWAY_CREDENTIALS_INVALID") expect(mapped.details).toEqual({ awsException: name, awsRequestId: `req-${name}`, ...(field === undefined ? {} : { field }) });
    else expect(mapped.details).toEqual({ awsRequestId: `req-${name}` });
  });

  it("keeps SSO OIDC's reading of a 403 for SSO OIDC: AccessDenied there is the gateway's principal", () => {
    expect(mapUpstreamError(serviceError("AccessDenied", 403)).code).toBe("GATEWAY_CREDENTIALS_INVALID");
    expect(mapUpstreamError(serviceError("AccessDenied", 403), "sts").code).toBe("ACCESS_DENIED");
  });
});

describe("mapUpstreamError: what STS's refusals tell the caller", () => {
  it.each([
    ["AccessDenied", 403, /^The role's trust policy does not let the gateway assume it with the user's identity context/],
    ["ExpiredTokenException", 400, /^The identity context has expired/],
    ["InternalFailure", 500, /^STS reported an internal error\.$/],
    ["ServiceUnavailable", 503, /^STS could not be reached in time\.$/],
    ["Throttling", 400, /^Too many requests to STS; slow down\.$/],
  ])("%s speaks of STS and the identity context, not of Identity Center's grants", (name, status, message) => {
    const mapped = mapUpstreamError(serviceError(name, status), "sts");
    expect(mapped.message).toMatch(message);
    expect(mapped.message).not.toMatch(/Identity Center reported|grant is invalid/);
  });
});

describe("mapUpstreamError: the member a ValidationError names, from STS's own words", () => {
  it.each([
    ["The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", "durationSeconds", /durationSeconds is longer than the role allows/],
    ["The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", "durationSeconds", /durationSeconds is longer than the role allows/],
    ["1 validation error detected: Value at 'providedContexts.1.member.contextAssertion' failed to satisfy constraint: Member must have length less than or equal to 2048", "identityContext", /^STS refused the identity context/],
    ["1 validation error detected: Value 'x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", "roleArn", /^STS refused the role ARN/],
  ])("%s → field %s", (message, field, said) => {
    const mapped = mapUpstreamError(serviceError("ValidationError", 400, message), "sts");
    expect({ code: mapped.code, field: mapped.details.field }).toEqual({ code: "INVALID_REQUEST", field });
    expect(mapped.message).toMatch(said);
  });

  it("names no member for one the caller does not choose (the session name is the gateway's)", () => {
    const mapped = mapUpstreamError(serviceError("ValidationError", 400, "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"), "sts");
    expect(mapped.details.field).toBeUndefined();
    expect(mapped.message).toMatch(/^STS refused the identity context or the session length/);
  });

  it("names no member for SSO OIDC's exceptions", () => {
    expect(mapUpstreamError(serviceError("AccessDeniedException", 400)).details.field).toBeUndefined();
  });
});

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

const serviceError = (name: string, httpStatusCode: number) =>
  new sts.STSServiceException({ name, $fault: httpStatusCode >= 500 ? "server" : "client", message: "User: arn:aws:iam::123456789012:user/gw is not authorized", $metadata: { httpStatusCode, requestId: `req-${name}` } });

const EXPECTED: Array<[string, number, ErrorCode, boolean]> = [
  ["ExpiredTokenException", 400, "EXPIRED_TOKEN", false],
  ["MalformedPolicyDocumentException", 400, "INVALID_REQUEST", false],
  ["PackedPolicyTooLargeException", 400, "INVALID_REQUEST", false],
  ["RegionDisabledException", 403, "INVALID_REQUEST_REGION", false],
  ["AccessDenied", 403, "ACCESS_DENIED", false],
  ["InvalidParameterValue", 400, "INVALID_REQUEST", false],
  ["ValidationError", 400, "INVALID_REQUEST", false],
  ["Throttling", 400, "SLOW_DOWN", true],
  ["InternalFailure", 500, "UPSTREAM_SERVER_ERROR", true],
  ["ServiceUnavailable", 503, "UPSTREAM_UNAVAILABLE", true],
  // STS's front door: the gateway's own credentials.
  ["InvalidClientTokenId", 403, "GATEWAY_CREDENTIALS_INVALID", false],
  ["SignatureDoesNotMatch", 403, "GATEWAY_CREDENTIALS_INVALID", false],
  ["ExpiredToken", 403, "GATEWAY_CREDENTIALS_INVALID", false],
  ["MissingAuthenticationToken", 403, "GATEWAY_CREDENTIALS_INVALID", false],
];

describe("mapUpstreamError: STS's AssumeRole answers", () => {
  it("lists every modeled exception of AssumeRole, and each is an exception class of the SDK's STS client", () => {
    for (const name of ASSUME_ROLE_MODEL_EXCEPTIONS) {
      expect(Object.keys(STS_EXCEPTION_CODES)).toContain(name);
      const Class = (sts as unknown as Record<string, new (options: Record<string, unknown>) => Error>)[name];
      expect(new Class!({ message: "m", $metadata: {} }).name).toBe(name);
    }
  });

  it.each(EXPECTED)("maps %s (HTTP %i) to %s, with the exception's name and request id but never its message", (name, status, code, retryable) => {
    const mapped = mapUpstreamError(serviceError(name, status), "sts");
    expect({ code: mapped.code, retryable: mapped.retryable }).toEqual({ code, retryable });
    expect(mapped.message).not.toContain("arn:aws:iam::");
    if (code !== "GATEWAY_CREDENTIALS_INVALID") expect(mapped.details).toEqual({ awsException: name, awsRequestId: `req-${name}` });
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

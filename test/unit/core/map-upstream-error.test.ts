import * as ssoOidc from "@aws-sdk/client-sso-oidc";
import { describe, expect, it } from "vitest";
import { GatewayError, type ErrorCode } from "../../../src/errors/error-codes.js";
import { describeCredentialProblem, mapUpstreamError, SSO_OIDC_EXCEPTION_CODES } from "../../../src/upstream/map-upstream-error.js";

type ExceptionClass = new (options: Record<string, unknown>) => ssoOidc.SSOOIDCServiceException;

/** Every exception class the SDK's SSO OIDC model exports, found by walking the module. */
const MODEL_EXCEPTIONS = Object.entries(ssoOidc)
  .filter(([, value]) => typeof value === "function" && value.prototype instanceof ssoOidc.SSOOIDCServiceException)
  .map(([name, value]) => [name, value as unknown as ExceptionClass] as const);

const STATUS: Record<string, number> = { InternalServerException: 500, InvalidClientException: 401 };

function modelException(name: string, Class: ExceptionClass): ssoOidc.SSOOIDCServiceException {
  return new Class({
    message: "UnknownError",
    $metadata: { httpStatusCode: STATUS[name] ?? 400, requestId: `req-${name}` },
    error: "oauth_code",
    error_description: `description of ${name}`,
  });
}

const EXPECTED: Record<string, [ErrorCode, boolean]> = {
  InvalidGrantException: ["INVALID_GRANT", false],
  InvalidClientException: ["INVALID_CLIENT", false],
  InvalidRequestException: ["INVALID_REQUEST", false],
  InvalidScopeException: ["INVALID_SCOPE", false],
  UnauthorizedClientException: ["UNAUTHORIZED_CLIENT", false],
  UnsupportedGrantTypeException: ["UNSUPPORTED_GRANT_TYPE", false],
  AccessDeniedException: ["ACCESS_DENIED", false],
  ExpiredTokenException: ["EXPIRED_TOKEN", false],
  AuthorizationPendingException: ["AUTHORIZATION_PENDING", true],
  SlowDownException: ["SLOW_DOWN", true],
  InvalidRequestRegionException: ["INVALID_REQUEST_REGION", false],
  InternalServerException: ["UPSTREAM_SERVER_ERROR", true],
  InvalidClientMetadataException: ["INVALID_CLIENT", false],
  InvalidRedirectUriException: ["INVALID_REQUEST", false],
};

describe("mapUpstreamError: the SSO OIDC exception table", () => {
  it("covers exactly the exception classes of the SDK's model", () => {
    expect(MODEL_EXCEPTIONS.map(([name]) => name).sort()).toEqual(Object.keys(SSO_OIDC_EXCEPTION_CODES).sort());
    expect(MODEL_EXCEPTIONS.length).toBe(14);
  });

  it.each(MODEL_EXCEPTIONS)("maps %s with its description and request id", (name, Class) => {
    const mapped = mapUpstreamError(modelException(name, Class));
    const [code, retryable] = EXPECTED[name] ?? ["(missing)", false];
    expect(mapped).toBeInstanceOf(GatewayError);
    expect({ code: mapped.code, retryable: mapped.retryable, details: mapped.details }).toEqual({
      code,
      retryable,
      details: { awsException: name, awsErrorDescription: `description of ${name}`, awsRequestId: `req-${name}` },
    });
  });

  it("omits details AWS did not send", () => {
    const mapped = mapUpstreamError(new ssoOidc.InvalidGrantException({ message: "UnknownError", $metadata: {} }));
    expect(mapped.details).toEqual({ awsException: "InvalidGrantException" });
  });

  it("does not copy the SDK's message into the gateway error", () => {
    const mapped = mapUpstreamError(new ssoOidc.InvalidGrantException({ message: "assertion eyJhbGciOi… rejected", $metadata: {} }));
    expect(mapped.message).toBe("The grant is invalid, expired, revoked or was issued to another client.");
  });

  it("reads Retry-After into retryAfterSeconds for SLOW_DOWN", () => {
    const error = new ssoOidc.SlowDownException({ message: "UnknownError", $metadata: { httpStatusCode: 400 } });
    Object.assign(error, { $response: { headers: { "retry-after": "2" } } });
    expect(mapUpstreamError(error).details.retryAfterSeconds).toBe(2);
  });
});

describe("mapUpstreamError: failures outside the model", () => {
  const serviceError = (name: string, httpStatusCode: number) =>
    new ssoOidc.SSOOIDCServiceException({ name, $fault: httpStatusCode >= 500 ? "server" : "client", message: "m", $metadata: { httpStatusCode, requestId: "req-x" } });

  const cases: Array<[string, unknown, ErrorCode]> = [
    ["InvalidSignatureException (403) is the gateway's credentials", serviceError("InvalidSignatureException", 403), "GATEWAY_CREDENTIALS_INVALID"],
    ["UnrecognizedClientException (403) is the gateway's credentials", serviceError("UnrecognizedClientException", 403), "GATEWAY_CREDENTIALS_INVALID"],
    ["MissingAuthenticationTokenException is the gateway's credentials", serviceError("MissingAuthenticationTokenException", 403), "GATEWAY_CREDENTIALS_INVALID"],
    ["IncompleteSignatureException is the gateway's credentials", serviceError("IncompleteSignatureException", 403), "GATEWAY_CREDENTIALS_INVALID"],
    ["an AccessDeniedException with the model's 400 is ACCESS_DENIED", modelException("AccessDeniedException", ssoOidc.AccessDeniedException as unknown as ExceptionClass), "ACCESS_DENIED"],
    ["any other 403 is the gateway's credentials or permissions", serviceError("Forbidden", 403), "GATEWAY_CREDENTIALS_INVALID"],
    ["ThrottlingException is SLOW_DOWN", serviceError("ThrottlingException", 400), "SLOW_DOWN"],
    ["an unknown 429 is SLOW_DOWN", serviceError("Unknown", 429), "SLOW_DOWN"],
    ["an unknown 502 is UPSTREAM_UNAVAILABLE", serviceError("Unknown", 502), "UPSTREAM_UNAVAILABLE"],
    ["an unknown 503 is UPSTREAM_UNAVAILABLE", serviceError("ServiceUnavailable", 503), "UPSTREAM_UNAVAILABLE"],
    ["an unknown 4xx (SerializationException) is the gateway's fault", serviceError("SerializationException", 400), "INTERNAL_SERVER_ERROR"],
    ["the handler's TimeoutError is UPSTREAM_UNAVAILABLE", Object.assign(new Error("Request timed out"), { name: "TimeoutError" }), "UPSTREAM_UNAVAILABLE"],
    ["ECONNRESET is UPSTREAM_UNAVAILABLE", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "UPSTREAM_UNAVAILABLE"],
    ["ECONNREFUSED is UPSTREAM_UNAVAILABLE", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "UPSTREAM_UNAVAILABLE"],
    ["a connection error wrapped as a cause is UPSTREAM_UNAVAILABLE", new Error("request failed", { cause: Object.assign(new Error("x"), { code: "ETIMEDOUT" }) }), "UPSTREAM_UNAVAILABLE"],
    ["a credential-chain failure is the gateway's credentials", Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }), "GATEWAY_CREDENTIALS_INVALID"],
    ["a programming error is the gateway's fault", new TypeError("cannot read properties of undefined"), "INTERNAL_SERVER_ERROR"],
    ["a thrown string is the gateway's fault", "boom", "INTERNAL_SERVER_ERROR"],
  ];
  it.each(cases)("%s", (_label, error, code) => {
    expect(mapUpstreamError(error).code).toBe(code);
  });

  it("maps a 403 AccessDeniedException (the gateway's principal) to GATEWAY_CREDENTIALS_INVALID with AWS's request id only", () => {
    const error = new ssoOidc.AccessDeniedException({ message: "not authorized to perform sso-oauth:CreateTokenWithIAM", $metadata: { httpStatusCode: 403, requestId: "req-403" } });
    Object.assign(error, { error_description: "User arn:aws:iam::123456789012:user/gw is not authorized" });
    const mapped = mapUpstreamError(error);
    expect({ code: mapped.code, retryable: mapped.retryable, details: mapped.details }).toEqual({ code: "GATEWAY_CREDENTIALS_INVALID", retryable: false, details: { awsRequestId: "req-403" } });
  });

  it("passes a GatewayError through unchanged", () => {
    const error = new GatewayError("BAD_USER_INPUT", "x", { field: "input.code" });
    expect(mapUpstreamError(error)).toBe(error);
  });

  it("keeps the SDK error as the cause, for logs", () => {
    const error = serviceError("Unknown", 502);
    expect(mapUpstreamError(error).cause).toBe(error);
  });
});

describe("describeCredentialProblem: the cause of GATEWAY_CREDENTIALS_INVALID, named", () => {
  const serviceError = (name: string) => new ssoOidc.SSOOIDCServiceException({ name, $fault: "client", message: "m", $metadata: { httpStatusCode: 403 } });

  it.each([
    ["UnrecognizedClientException", "unrecognized-key", "AWS does not recognise the gateway's access key id (UnrecognizedClientException, HTTP 403): it is wrong, deleted or belongs to another partition"],
    ["InvalidSignatureException", "bad-signature", "AWS rejected the gateway's request signature (InvalidSignatureException, HTTP 403): the secret access key does not match the access key id, or the clock is off"],
    ["ExpiredTokenException", "expired", "the gateway's temporary AWS credentials have expired (ExpiredTokenException, HTTP 403)"],
    ["AccessDeniedException", "access-denied", "AWS denied the gateway's own principal (AccessDeniedException, HTTP 403): its IAM policy must allow sso-oauth:CreateTokenWithIAM"],
    ["Forbidden", "rejected", "AWS refused the gateway's own credentials (Forbidden, HTTP 403)"],
  ])("%s → %s", (name, cause, reason) => {
    expect(describeCredentialProblem(serviceError(name))).toEqual({ cause, reason });
  });

  it("names missing credentials as missing, not as a refusal by AWS, without copying the provider's message (a credential_process error quotes its command)", () => {
    const error = Object.assign(new Error("Command failed: fetch-creds --token s3cr3t-token"), { name: "CredentialsProviderError" });
    expect(describeCredentialProblem(error)).toEqual({
      cause: "missing",
      reason: "no AWS credentials: the SDK's default credential chain found none (CredentialsProviderError); nothing was sent to AWS. Provide them by environment variables, shared files or profile, or a container, web-identity or instance role",
    });
  });
});

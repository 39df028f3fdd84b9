import * as ssoOidc from "@aws-sdk/client-sso-oidc";
import { describe, expect, it } from "vitest";
import { GatewayError, type ErrorCode } from "../../../src/errors/error-codes.js";
import { mapUpstreamError, SSO_OIDC_EXCEPTION_CODES } from "../../../src/upstream/map-upstream-error.js";

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
    ["InvalidSignatureException (403) is the gateway's fault", serviceError("InvalidSignatureException", 403), "INTERNAL_SERVER_ERROR"],
    ["UnrecognizedClientException (403) is the gateway's fault", serviceError("UnrecognizedClientException", 403), "INTERNAL_SERVER_ERROR"],
    ["MissingAuthenticationTokenException is the gateway's fault", serviceError("MissingAuthenticationTokenException", 403), "INTERNAL_SERVER_ERROR"],
    ["IncompleteSignatureException is the gateway's fault", serviceError("IncompleteSignatureException", 403), "INTERNAL_SERVER_ERROR"],
    ["an AccessDeniedException with the model's 400 is ACCESS_DENIED", modelException("AccessDeniedException", ssoOidc.AccessDeniedException as unknown as ExceptionClass), "ACCESS_DENIED"],
    ["any other 403 is the gateway's fault", serviceError("Forbidden", 403), "INTERNAL_SERVER_ERROR"],
    ["ThrottlingException is SLOW_DOWN", serviceError("ThrottlingException", 400), "SLOW_DOWN"],
    ["an unknown 429 is SLOW_DOWN", serviceError("Unknown", 429), "SLOW_DOWN"],
    ["an unknown 502 is UPSTREAM_UNAVAILABLE", serviceError("Unknown", 502), "UPSTREAM_UNAVAILABLE"],
    ["an unknown 503 is UPSTREAM_UNAVAILABLE", serviceError("ServiceUnavailable", 503), "UPSTREAM_UNAVAILABLE"],
    ["an unknown 4xx (SerializationException) is the gateway's fault", serviceError("SerializationException", 400), "INTERNAL_SERVER_ERROR"],
    ["the handler's TimeoutError is UPSTREAM_UNAVAILABLE", Object.assign(new Error("Request timed out"), { name: "TimeoutError" }), "UPSTREAM_UNAVAILABLE"],
    ["ECONNRESET is UPSTREAM_UNAVAILABLE", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "UPSTREAM_UNAVAILABLE"],
    ["ECONNREFUSED is UPSTREAM_UNAVAILABLE", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "UPSTREAM_UNAVAILABLE"],
    ["a connection error wrapped as a cause is UPSTREAM_UNAVAILABLE", new Error("request failed", { cause: Object.assign(new Error("x"), { code: "ETIMEDOUT" }) }), "UPSTREAM_UNAVAILABLE"],
    ["a credential-chain failure is the gateway's fault", Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }), "INTERNAL_SERVER_ERROR"],
    ["a programming error is the gateway's fault", new TypeError("cannot read properties of undefined"), "INTERNAL_SERVER_ERROR"],
    ["a thrown string is the gateway's fault", "boom", "INTERNAL_SERVER_ERROR"],
  ];
  it.each(cases)("%s", (_label, error, code) => {
    expect(mapUpstreamError(error).code).toBe(code);
  });

  it("maps a 403 AccessDeniedException to INTERNAL_SERVER_ERROR", () => {
    const error = new ssoOidc.AccessDeniedException({ message: "not authorized to perform sso-oauth:CreateTokenWithIAM", $metadata: { httpStatusCode: 403, requestId: "req-403" } });
    expect(mapUpstreamError(error)).toMatchObject({ code: "INTERNAL_SERVER_ERROR", retryable: false, details: { awsException: "AccessDeniedException", awsRequestId: "req-403" } });
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

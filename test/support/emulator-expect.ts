/**
 * Assertions shared by the emulator tests: "this rejection is AWS's exception X, exactly as the
 * SDK raises it from the real service".
 */
import { expect } from "vitest";
import { SSOOIDCServiceException } from "@aws-sdk/client-sso-oidc";
import { EXCEPTIONS, type ExceptionName } from "./emulator-model.js";

/**
 * Asserts that `error` is the SDK's own class for `name`, with the model's HTTP status and fault,
 * the contract's OAuth `error` code, a non-empty `error_description` and a request id.
 * Returns the error, typed loosely, for further checks (`reason`, `endpoint`, `region`).
 */
export function expectAwsException(error: unknown, name: ExceptionName): any {
  const expected = EXCEPTIONS[name];
  const summary = describe(error);
  expect(error, summary).toBeInstanceOf(expected.type);
  const e = error as SSOOIDCServiceException & Record<string, unknown>;
  expect(e.name, summary).toBe(name);
  expect(e.$fault, summary).toBe(expected.fault);
  expect(e.$metadata.httpStatusCode, summary).toBe(expected.httpStatus);
  expect(e.$metadata.requestId, `${summary}: x-amzn-requestid`).toBeTruthy();
  expect(e.error, summary).toBe(expected.oauthError);
  expect(typeof e.error_description, summary).toBe("string");
  expect((e.error_description as string).length, summary).toBeGreaterThan(0);
  return e;
}

/**
 * Asserts a SigV4 rejection as AWS sends it: HTTP 403 and the given error type (the SDK has no
 * class for these, so it raises its base exception with that `name`).
 */
export function expectAuthFailure(error: unknown, name: string): any {
  const summary = describe(error);
  expect(error, summary).toBeInstanceOf(SSOOIDCServiceException);
  const e = error as SSOOIDCServiceException;
  expect(e.name, summary).toBe(name);
  expect(e.$metadata.httpStatusCode, summary).toBe(403);
  expect(e.$fault, summary).toBe("client");
  return e;
}

function describe(error: unknown): string {
  if (error instanceof SSOOIDCServiceException) {
    const { $response: _drop, ...rest } = error as SSOOIDCServiceException & { $response?: unknown };
    return `${error.name} ${JSON.stringify(rest)}`;
  }
  return String(error);
}

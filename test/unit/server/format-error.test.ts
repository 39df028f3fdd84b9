import { GraphQLError } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createFormatError, MASKED_ERROR_MESSAGE } from "../../../src/server/format-error.js";

const format = createFormatError();

/** What Apollo hands formatError for an error thrown by a resolver at `createTokenWithIAM`. */
function thrownByResolver(original: Error) {
  const error = new GraphQLError(original.message, {
    originalError: original,
    path: ["createTokenWithIAM"],
    nodes: undefined,
  });
  const formatted = { message: original.message, path: ["createTokenWithIAM"], locations: [{ line: 1, column: 12 }], extensions: { code: "INTERNAL_SERVER_ERROR" } };
  return [formatted, error] as const;
}

describe("formatError: GatewayError", () => {
  it("keeps the message and exposes code, retryable and every detail in extensions", () => {
    const gatewayError = new GatewayError("INVALID_GRANT", "Invalid grant provided", {
      awsErrorDescription: "The assertion has expired",
      awsException: "InvalidGrantException",
      awsRequestId: "req-123",
    });
    expect(format(...thrownByResolver(gatewayError))).toEqual({
      message: "Invalid grant provided",
      path: ["createTokenWithIAM"],
      locations: [{ line: 1, column: 12 }],
      extensions: {
        code: "INVALID_GRANT",
        retryable: false,
        awsErrorDescription: "The assertion has expired",
        awsException: "InvalidGrantException",
        awsRequestId: "req-123",
      },
    });
  });

  it("names the offending field of a BAD_USER_INPUT", () => {
    const gatewayError = new GatewayError("BAD_USER_INPUT", "assertion is required for JWT_BEARER", { field: "input.assertion" });
    expect(format(...thrownByResolver(gatewayError)).extensions).toEqual({ code: "BAD_USER_INPUT", retryable: false, field: "input.assertion" });
  });

  it("carries retryAfterSeconds and retryable true for SLOW_DOWN", () => {
    const gatewayError = new GatewayError("SLOW_DOWN", undefined, { retryAfterSeconds: 2 });
    expect(format(...thrownByResolver(gatewayError)).extensions).toEqual({ code: "SLOW_DOWN", retryable: true, retryAfterSeconds: 2 });
  });

  it("adds no stacktrace: stack traces never travel in extensions", () => {
    expect(format(...thrownByResolver(new GatewayError("UPSTREAM_UNAVAILABLE"))).extensions).not.toHaveProperty("stacktrace");
  });
});

describe("formatError: anything else", () => {
  it("masks an unknown Error as INTERNAL_SERVER_ERROR without its message or stack", () => {
    const leaky = new Error("connect ECONNREFUSED while sending assertion eyJhbGciOi.secret");
    const formatted = format(...thrownByResolver(leaky));
    expect(formatted).toEqual({
      message: MASKED_ERROR_MESSAGE,
      path: ["createTokenWithIAM"],
      locations: [{ line: 1, column: 12 }],
      extensions: { code: "INTERNAL_SERVER_ERROR", retryable: false },
    });
    expect(JSON.stringify(formatted)).not.toContain("eyJhbGciOi");
  });

  it("masks an uncoded GraphQL error raised during execution (e.g. a non-null violation)", () => {
    const error = new GraphQLError("Cannot return null for non-nullable field Query.gateway.", { path: ["gateway"] });
    const formatted = { message: error.message, path: ["gateway"], extensions: { code: "INTERNAL_SERVER_ERROR" } };
    expect(format(formatted, error)).toEqual({ message: "Internal server error", path: ["gateway"], extensions: { code: "INTERNAL_SERVER_ERROR", retryable: false } });
  });

  it("masks a failed context creation", () => {
    const error = new GraphQLError("Context creation failed: redis down", { extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(format({ message: error.message, extensions: { code: "INTERNAL_SERVER_ERROR" } }, error).message).toBe("Internal server error");
  });

  it("masks a non-Error thrown value", () => {
    expect(format({ message: "Unexpected error value: \"boom\"", path: ["x"] }, "boom")).toEqual({
      message: "Internal server error",
      path: ["x"],
      extensions: { code: "INTERNAL_SERVER_ERROR", retryable: false },
    });
  });
});

describe("formatError: Apollo request errors", () => {
  it.each(["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT", "BAD_REQUEST"])("keeps %s with its message, saying a retry will not help (retryable false)", (code) => {
    const formatted = { message: `client problem (${code})`, locations: [{ line: 1, column: 1 }], extensions: { code } };
    expect(format(formatted, new GraphQLError(formatted.message, { extensions: { code } }))).toEqual({ ...formatted, extensions: { code, retryable: false } });
  });

  it("drops Apollo's stacktrace from a request error", () => {
    const formatted = { message: "Syntax Error", extensions: { code: "GRAPHQL_PARSE_FAILED", stacktrace: ["GraphQLError: Syntax Error"] } };
    const error = new GraphQLError("Syntax Error", { extensions: { code: "GRAPHQL_PARSE_FAILED" } });
    expect(format(formatted, error)).toEqual({ message: "Syntax Error", extensions: { code: "GRAPHQL_PARSE_FAILED", retryable: false } });
  });

  it("masks a request-error code when it comes from a resolver (it has a path)", () => {
    const formatted = { message: "secret-ish", path: ["createTokenWithIAM"], extensions: { code: "BAD_USER_INPUT" } };
    const error = new GraphQLError("secret-ish", { path: ["createTokenWithIAM"], originalError: new Error("secret-ish"), extensions: { code: "BAD_USER_INPUT" } });
    expect(format(formatted, error).extensions).toEqual({ code: "INTERNAL_SERVER_ERROR", retryable: false });
  });
});

describe("formatError: Apollo's uncoded request errors", () => {
  it("shows a 4xx request error Apollo raised without a code (a persisted-query hash mismatch) as BAD_REQUEST with Apollo's message", () => {
    const error = new GraphQLError("provided sha does not match query", { extensions: { http: { status: 400, headers: new Map() } } });
    const formatted = { message: "provided sha does not match query", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    expect(format(formatted, error)).toEqual({ message: "provided sha does not match query", extensions: { code: "BAD_REQUEST", retryable: false } });
  });

  it("still masks an uncoded error that carries no 4xx status", () => {
    const error = new GraphQLError("database password is hunter2");
    const formatted = { message: "database password is hunter2", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    expect(format(formatted, error)).toEqual({ message: MASKED_ERROR_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR", retryable: false } });
  });
});

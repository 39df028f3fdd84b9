import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { getValidCircuitOptions } from "../../../src/upstream/circuit-breaker.js";
import { createUpstream, type CreateUpstreamOptions } from "../../../src/upstream/index.js";
import { describeCredentialProblem, mapUpstreamError } from "../../../src/upstream/map-upstream-error.js";

/**
 * Edges of src/upstream's pure parts that the emulator cannot produce on demand: errors without a
 * name or with a deep cause chain, headers AWS may send, and options a JavaScript caller may pass.
 * Shapes are compared with toStrictEqual: a detail set to undefined is a detail the caller sees.
 */

const logger = createLogger({ level: "silent" });
const base: CreateUpstreamOptions = { region: "us-east-1", endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" }, timeoutMs: 200, connectTimeoutMs: 200, maxAttempts: 1, logger };

/** An error whose `cause` chain is `depth` links long, with ECONNRESET at its end. */
function resetAtDepth(depth: number): Error {
  let error: Error = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  for (let i = 0; i < depth; i++) error = new Error("wrapped", { cause: error });
  return error;
}

describe("mapUpstreamError at its edges", () => {
  it("an unknown exception with HTTP 500 is UPSTREAM_UNAVAILABLE; with HTTP 400 the gateway's own fault, INTERNAL_SERVER_ERROR", () => {
    expect(mapUpstreamError({ name: "SomethingNew", $metadata: { httpStatusCode: 500 } }).code).toBe("UPSTREAM_UNAVAILABLE");
    expect(mapUpstreamError({ name: "SomethingNew", $metadata: { httpStatusCode: 400 } }).code).toBe("INTERNAL_SERVER_ERROR");
  });

  it("follows a connection error through at most 5 causes", () => {
    expect(mapUpstreamError(resetAtDepth(5)).code).toBe("UPSTREAM_UNAVAILABLE");
    expect(mapUpstreamError(resetAtDepth(6)).code).toBe("INTERNAL_SERVER_ERROR");
  });

  it("names AWS's exception only for an answer from AWS, and sets no detail AWS did not send", () => {
    expect(mapUpstreamError(Object.assign(new Error("x"), { name: "TimeoutError" })).details).toStrictEqual({});
    expect(mapUpstreamError({ $metadata: { httpStatusCode: 400 } }).details).toStrictEqual({});
    expect(mapUpstreamError({ name: "InvalidGrantException", $metadata: {}, $response: { headers: { "retry-after": "5" } } }).details).toStrictEqual({ awsException: "InvalidGrantException" });
  });

  it("reads Retry-After of a SLOW_DOWN only when it is a non-negative number, and survives a response without headers", () => {
    const slowDown = (headers?: Record<string, string>) => mapUpstreamError({ name: "SlowDownException", $metadata: {}, $response: headers === undefined ? {} : { headers } }).details;
    expect(slowDown({ "retry-after": "0" })).toStrictEqual({ awsException: "SlowDownException", retryAfterSeconds: 0 });
    expect(slowDown({ "retry-after": "-1" })).toStrictEqual({ awsException: "SlowDownException" });
    expect(slowDown()).toStrictEqual({ awsException: "SlowDownException" });
  });
});

describe("mapUpstreamError's messages", () => {
  it("gives an SSO OIDC error the code's own message: STS's wording is for STS's errors only", () => {
    for (const name of ["InternalServerException", "AccessDeniedException", "InvalidRequestException", "SlowDownException", "ExpiredTokenException"]) {
      const error = mapUpstreamError({ name, $metadata: { httpStatusCode: 400 } });
      expect(error.message).toBe(ERROR_CODES[error.code].message);
    }
  });
});

describe("describeCredentialProblem at its edges", () => {
  it("names every exception of a bad key or signature by its cause", () => {
    const said = (name: string) => describeCredentialProblem({ name, $metadata: { httpStatusCode: 403 } }).cause;
    expect(said("InvalidClientTokenId")).toBe("unrecognized-key");
    for (const name of ["SignatureDoesNotMatch", "IncompleteSignatureException", "MissingAuthenticationTokenException"]) expect(said(name)).toBe("bad-signature");
    // STS's front end says ExpiredToken when the gateway's own temporary credentials have expired.
    for (const name of ["ExpiredToken", "ExpiredTokenException"]) expect(said(name)).toBe("expired");
  });

  it("says what AWS said without an HTTP status it did not give, and calls a nameless error `Error`", () => {
    expect(describeCredentialProblem({ name: "UnrecognizedClientException", $metadata: {} }).reason).toBe(
      "AWS does not recognise the gateway's access key id (UnrecognizedClientException): it is wrong, deleted or belongs to another partition",
    );
    expect(describeCredentialProblem({ $metadata: { httpStatusCode: 403 } }).reason).toBe("AWS refused the gateway's own credentials (Error, HTTP 403)");
    expect(describeCredentialProblem({}).reason).toContain("found none (Error); nothing was sent to AWS");
  });
});

describe("upstream options a JavaScript caller may get wrong", () => {
  it("refuses a region that is not a string, and a logger that is missing, with the contract's message", () => {
    expect(() => createUpstream({ ...base, region: 5 as never })).toThrow(new TypeError("createUpstream: options.region must be a non-empty AWS region name (got 5)"));
    expect(() => createUpstream({ ...base, logger: undefined as never })).toThrow(new TypeError("createUpstream: options.logger must be a pino logger"));
  });

  it("refuses an endpoint that is not one whole http(s) URL", () => {
    for (const endpoint of ["xhttp://127.0.0.1:1", "http://127.0.0.1:1 extra"]) {
      expect(() => createUpstream({ ...base, endpoint })).toThrow(new TypeError(`createUpstream: options.endpoint must be an http:// or https:// URL when given (got ${JSON.stringify(endpoint)})`));
    }
  });

  it("accepts no endpoint (AWS's own, from the region)", () => {
    const { endpoint: _none, ...withoutEndpoint } = base;
    createUpstream(withoutEndpoint).destroy();
  });

  it("accepts no credentials (the SDK's default chain) and reports them healthy until a call says otherwise", () => {
    const { credentials: _none, ...withoutCredentials } = base;
    const upstream = createUpstream(withoutCredentials);
    try {
      expect(upstream.health()).toEqual({ ok: true, circuit: "closed", credentials: "ok", detail: "circuit closed: Identity Center answers" });
    } finally {
      upstream.destroy();
    }
  });

  it("validates the circuit breaker's options: integers of at least 1", () => {
    expect(() => createUpstream({ ...base, circuitBreaker: { threshold: 0, cooldownMs: 1000 } })).toThrow(new TypeError("createUpstream: options.circuitBreaker.threshold must be an integer >= 1 (got 0)"));
    expect(() => getValidCircuitOptions({ threshold: 1, cooldownMs: 1, logger })).not.toThrow();
    for (const [threshold, cooldownMs, message] of [
      [1.5, 1, "threshold must be an integer >= 1 (got 1.5)"],
      ["3", 1, 'threshold must be an integer >= 1 (got "3")'],
      [1, 0, "cooldownMs must be an integer >= 1 (got 0)"],
      [1, 2.5, "cooldownMs must be an integer >= 1 (got 2.5)"],
      [1, "5", 'cooldownMs must be an integer >= 1 (got "5")'],
    ] as const) {
      expect(() => getValidCircuitOptions({ threshold: threshold as number, cooldownMs: cooldownMs as number, logger })).toThrow(new TypeError(`createUpstream: options.circuitBreaker.${message}`));
    }
  });
});

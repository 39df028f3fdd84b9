import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { restoreGatewayError, shareGatewayError } from "../../../src/coordination/shared-error.js";

/** A flight leader's failure as followers (maybe in another replica) receive it: JSON in between. */
const throughJson = (error: unknown) => restoreGatewayError(JSON.parse(JSON.stringify(shareGatewayError(error))));

describe("shared flight errors", () => {
  it("hands a GatewayError on with its code, message and every known detail", () => {
    const details = { field: "input.assertion", awsErrorDescription: "expired", awsException: "InvalidGrantException", awsRequestId: "req-1", retryAfterSeconds: 3 };
    const restored = throughJson(new GatewayError("INVALID_GRANT", "The grant was refused.", details));
    expect(restored).toBeInstanceOf(GatewayError);
    expect(restored).toMatchObject({ code: "INVALID_GRANT", message: "The grant was refused.", details });
  });

  it("hands any other error on as INTERNAL_SERVER_ERROR with the standard message, never its own message or stack", () => {
    expect(shareGatewayError(new Error("connect ECONNREFUSED 10.0.0.1:443 with secret-ish text"))).toEqual({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error." });
    expect(throughJson("a string")).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error.", details: {} });
  });

  it("restores an unknown code as INTERNAL_SERVER_ERROR, dropping its message", () => {
    const restored = restoreGatewayError({ code: "toString", message: "from a newer replica" });
    expect(restored).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error.", details: {} });
  });

  it("keeps only known details of the right type from another process", () => {
    const restored = restoreGatewayError({
      code: "UPSTREAM_UNAVAILABLE",
      message: "later",
      details: { field: 1, awsErrorDescription: null, awsException: ["x"], awsRequestId: 7, retryAfterSeconds: "3", stack: "at x" } as never,
    });
    expect((restored as GatewayError).details).toEqual({});
  });
});

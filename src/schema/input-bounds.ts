import { Extensions } from "type-graphql";

/**
 * Size bounds declared on input fields, read by the server before any variable is coerced
 * (src/server/limits/variable-bounds.ts): a caller's list or string longer than its bound is
 * refused at once, whatever else the request holds. They restate the token service's limits
 * (tokens/grant-validation.ts LIMITS), which validate every request (a repeat by its remembered
 * outcome: tokens/request-keyer.ts); these only keep an oversized input from costing anything.
 * Fields without bounds get the server's defaults.
 */
export interface InputBounds {
  /** Most items of a list (at every list level of the field's type). */
  maxItems?: number;
  /** Most characters (UTF-16 code units) of a string (the field itself, or each item of a list). */
  maxChars?: number;
}

/** The key of the field's GraphQL extensions that holds its InputBounds. */
export const INPUT_BOUNDS_EXTENSION = "inputBounds";

/** Declares a field's bounds: `@Bounded({ maxItems: 50, maxChars: 256 })`. */
export function Bounded(bounds: InputBounds): ReturnType<typeof Extensions> {
  for (const [key, value] of Object.entries(bounds)) {
    if (!Number.isInteger(value) || (value as number) < 0) throw new TypeError(`Bounded: ${key} must be a non-negative integer (got ${String(value)})`);
  }
  return Extensions({ [INPUT_BOUNDS_EXTENSION]: bounds });
}

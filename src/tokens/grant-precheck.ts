import { GatewayError } from "../errors/error-codes.js";
import type { ValidTokenRequest } from "./grant-validation.js";

/**
 * Refuses grants that cannot be valid before they cost an upstream call: every CreateTokenWithIAM
 * call spends the application's AWS quota (80/s per application, 10/s JWT-bearer per instance),
 * whoever sent it. Runs after validateTokenRequest (shapes and sizes, BAD_USER_INPUT) on every
 * exchange, the cached path included, so it is a few string operations and two small JSON.parse.
 *
 * A JWT-bearer assertion is refused with INVALID_GRANT, the code AWS answers for each of these
 * (InvalidGrantException: RFC 7523 §3.1 invalid_grant; the emulator's jwt-bearer-grant.ts agrees),
 * when it is not a compact JWS of three non-empty base64url parts, when its header or payload is
 * not a JSON object, when its `exp` has passed (decoded, never verified: AWS verifies), or, when
 * the operator lists TRUSTED_TOKEN_ISSUERS, when its `iss` is not listed. Messages never echo the
 * assertion or any of its claims.
 *
 * Other grants are not pre-checked: refresh tokens and Identity Center access tokens (the token
 * exchange's subject) are opaque by contract, and authorization codes too.
 */

/**
 * An assertion is refused as expired only once `exp` is this far in the past: a gateway clock
 * running ahead of the IdP's or AWS's must never refuse what AWS would accept. Assertions expired
 * less than this go to AWS, which decides (the per-caller upstream budget bounds that).
 */
export const ASSERTION_CLOCK_SKEW_SECONDS = 60;

export interface GrantPrecheckPolicy {
  /** TRUSTED_TOKEN_ISSUERS: the `iss` values an assertion may carry; undefined = any (AWS decides). */
  trustedTokenIssuers?: readonly string[] | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const FIELD = "input.assertion";
const LOCALLY = "refused by the gateway without calling AWS";

/** The decoded (unverified) parts of a compact JWS, or why it is not one. */
export type DecodedAssertion =
  | { ok: true; header: Record<string, unknown>; payload: Record<string, unknown> }
  | { ok: false; reason: string };

/** Decodes a compact JWS's header and payload without verifying anything. */
export function decodeAssertion(assertion: string): DecodedAssertion {
  const parts = assertion.split(".");
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    return { ok: false, reason: "The assertion is not a well-formed JWT (three base64url parts separated by dots)" };
  }
  const header = jsonObject(parts[0]!);
  if (header === undefined) return { ok: false, reason: "The assertion's header is not a JSON object" };
  const payload = jsonObject(parts[1]!);
  if (payload === undefined) return { ok: false, reason: "The assertion's payload is not a JSON object" };
  return { ok: true, header, payload };
}

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What the pre-check concluded about one assertion: why it cannot be valid, or its `exp` to compare with the clock. */
type Verdict = { refusal: string } | { refusal?: undefined; exp: number | undefined };

function judge(assertion: string, policy: GrantPrecheckPolicy): Verdict {
  const decoded = decodeAssertion(assertion);
  if (!decoded.ok) return { refusal: decoded.reason };
  const { exp, iss } = decoded.payload;
  const trusted = policy.trustedTokenIssuers;
  if (trusted !== undefined && (typeof iss !== "string" || !trusted.includes(iss))) {
    return { refusal: "The assertion's issuer (iss) is not one of this gateway's trusted token issuers (TRUSTED_TOKEN_ISSUERS)" };
  }
  // A non-numeric exp is AWS's to judge; only a definite past is refused here.
  // Stryker disable next-line ConditionalExpression: equivalent, Number.isFinite is false for every non-number
  return { exp: typeof exp === "number" && Number.isFinite(exp) ? exp : undefined };
}

function enforce(verdict: Verdict, nowMs: number): void {
  if (verdict.refusal !== undefined) throw refused(verdict.refusal);
  // Stryker disable next-line ConditionalExpression: equivalent, an undefined exp makes the comparison NaN < nowMs, which is false
  if (verdict.exp !== undefined && (verdict.exp + ASSERTION_CLOCK_SKEW_SECONDS) * 1000 < nowMs) {
    throw refused("The assertion has expired (exp is in the past)");
  }
}

/** Throws GatewayError("INVALID_GRANT", …, { field: "input.assertion" }) for a grant that cannot be valid; returns otherwise. */
export function precheckGrant(request: ValidTokenRequest, policy: GrantPrecheckPolicy, nowMs: number = Date.now()): void {
  if (request.grantType !== "JWT_BEARER" || request.assertion === undefined) return;
  enforce(judge(request.assertion, policy), nowMs);
}

/** The process-wide pre-check: precheckGrant, with the verdicts of assertions that passed remembered by fingerprint. */
export interface GrantPrecheck {
  check(request: ValidTokenRequest, fingerprint: string, nowMs?: number): void;
}

/**
 * A busy gateway sees the same assertion again and again (the cached path): its decoded verdict is
 * kept under the exchange's keyed fingerprint (an HMAC, never the assertion), so a repeat costs a
 * map lookup and a clock comparison instead of two base64 decodes and JSON.parse. Only passing
 * verdicts are kept (a flood of garbage cannot evict them), at most `maxEntries` (then cleared).
 */
export function createGrantPrecheck(policy: GrantPrecheckPolicy, options: { maxEntries?: number } = {}): GrantPrecheck {
  const maxEntries = options.maxEntries ?? 4096;
  const passed = new Map<string, Verdict>();
  return {
    check(request, fingerprint, nowMs = Date.now()) {
      if (request.grantType !== "JWT_BEARER" || request.assertion === undefined) return;
      let verdict = passed.get(fingerprint);
      if (verdict === undefined) {
        verdict = judge(request.assertion, policy);
        if (verdict.refusal === undefined) {
          if (passed.size >= maxEntries) passed.clear();
          passed.set(fingerprint, verdict);
        }
      }
      enforce(verdict, nowMs);
    },
  };
}

function refused(reason: string): GatewayError {
  return new GatewayError("INVALID_GRANT", `${reason}; ${LOCALLY}.`, { field: FIELD });
}

import type { ClientPolicy, ValidTokenRequest } from "./grant-validation.js";
import { validateTokenRequest } from "./grant-validation.js";
import { fingerprintTokenRequest } from "./fingerprint.js";
import type { GrantType, TokenRequest } from "./token.types.js";

/** A validated request with its keyed fingerprint: the loader's key and the exchange's single-flight/cache key. */
export interface KeyedRequest {
  readonly request: ValidTokenRequest;
  readonly fingerprint: string;
}

/** Validates a request and computes its fingerprint; throws validateTokenRequest's GatewayError on bad input. */
export type RequestKeyer = (request: TokenRequest) => KeyedRequest;

/** How many replayable requests a keyer remembers, their grants' and other fields' total length, and for how long. */
export const REQUEST_KEY_MEMO = { maxEntries: 1_000, maxChars: 2_000_000, ttlMs: 5 * 60_000 } as const;

/** The grants AWS answers again and again (the response cache's), by the field that holds each one's grant. */
const REMEMBERED_GRANTS: ReadonlyMap<GrantType, "assertion" | "subjectToken"> = new Map([
  ["JWT_BEARER", "assertion"],
  ["TOKEN_EXCHANGE", "subjectToken"],
]);

/** Every field of a request validation reads, but the grant's own (the memo's key). */
const OTHER_FIELDS = ["clientId", "code", "refreshToken", "assertion", "scope", "redirectUri", "subjectToken", "subjectTokenType", "requestedTokenType", "codeVerifier"] as const;

interface Remembered {
  /** The request's other fields, as otherFieldsOf encodes them. */
  readonly others: string;
  readonly keyed: KeyedRequest;
  readonly chars: number;
  readonly until: number;
}

/**
 * validateTokenRequest then fingerprintTokenRequest, remembering the outcome for the replayable
 * requests it validated last. A busy gateway sees the same exchange again and again (every page load
 * of a signed-in user), and for a cache hit validating (zod), encoding the request and the HMAC were
 * the exchange's own cost (bench/profile.ts, b against b-floor). A repeat now costs one look-up by the
 * grant (its string hash) and the comparison of a short encoding of the other fields.
 *
 * A request is remembered only once it validated, and answered from memory only when its grant and
 * every other field validation reads are those of the remembered one (null and absent alike, as
 * validation treats them), so its outcome is the one validation gave; the remembered ValidTokenRequest
 * is shared by the requests that match it and is never mutated. The gateway's policy (its
 * applications) is fixed for the keyer's life. grant-precheck (expiry, issuer) still runs on every
 * request: it depends on the time.
 *
 * The memo is keyed by grants: process memory only, like the response cache's answers, never logged
 * or stored. Single-use grants (refresh tokens, codes) are never remembered: each is sent once, and
 * keeping it would only keep a secret alive. Bounded by entries and total characters (a caller
 * sending distinct 8 KB assertions churns it, nothing more), and each entry is forgotten
 * REQUEST_KEY_MEMO.ttlMs after it was computed, so a quiet gateway does not keep grants long past
 * their use.
 *
 * A Map kept in recency order, not lru-cache: lru-cache publishes every get and set, key included, on
 * the `lru-cache:metrics` diagnostics channel to any subscriber in the process (APM agents,
 * OpenTelemetry), and these keys are grants.
 */
export function createRequestKeyer(policy: ClientPolicy, gatewaySecret: Buffer, now: () => number = Date.now): RequestKeyer {
  const memo = new Map<string, Remembered>();
  let chars = 0;
  const forget = (grant: string) => {
    const remembered = memo.get(grant);
    if (remembered !== undefined) {
      memo.delete(grant);
      chars -= remembered.chars;
    }
  };
  const compute = (request: TokenRequest): KeyedRequest => {
    const valid = validateTokenRequest(request, policy);
    return { request: valid, fingerprint: fingerprintTokenRequest(valid, gatewaySecret) };
  };

  return (request) => {
    const grantField = REMEMBERED_GRANTS.get(request.grantType);
    const grant = grantField === undefined ? undefined : request[grantField];
    if (grantField === undefined || typeof grant !== "string") return compute(request);
    const others = otherFieldsOf(request, grantField);
    const remembered = memo.get(grant);
    if (remembered !== undefined && remembered.others === others && remembered.until > now()) {
      // Most recently used last: delete and re-insert (a Map iterates in insertion order).
      memo.delete(grant);
      memo.set(grant, remembered);
      return remembered.keyed;
    }
    const keyed = compute(request);
    forget(grant);
    const entry: Remembered = { others, keyed, chars: grant.length + others.length, until: now() + REQUEST_KEY_MEMO.ttlMs };
    memo.set(grant, entry);
    chars += entry.chars;
    for (const oldest of memo.keys()) {
      if (memo.size <= REQUEST_KEY_MEMO.maxEntries && chars <= REQUEST_KEY_MEMO.maxChars) break;
      forget(oldest);
    }
    return keyed;
  };
}

/**
 * The grant type and every field but the grant's, null for absent, as JSON: two requests of GraphQL's
 * values (strings, lists of strings, null) share it only when those fields are equal. A caller that
 * passes something JSON shows as another value (a String object for a string) gets the remembered
 * request's validated copy, never its own object: what reaches AWS is always a validated request.
 */
function otherFieldsOf(request: TokenRequest, grantField: "assertion" | "subjectToken"): string {
  const values: unknown[] = [request.grantType];
  for (const name of OTHER_FIELDS) values.push(name === grantField ? null : (request[name] ?? null));
  return JSON.stringify(values);
}

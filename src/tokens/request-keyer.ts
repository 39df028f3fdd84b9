import { validateTokenRequest, type ClientPolicy, type ValidTokenRequest } from "./grant-validation.js";
import { fingerprintTokenRequest } from "./fingerprint.js";
import type { GrantType, TokenRequest } from "./token.types.js";

/** A validated request with its keyed fingerprint: the loader's key and the exchange's single-flight/cache key. */
export interface KeyedRequest {
  readonly request: ValidTokenRequest;
  readonly fingerprint: string;
}

/** Validates a request and computes its fingerprint; throws validateTokenRequest's GatewayError on bad input. */
export type RequestKeyer = ((request: TokenRequest) => KeyedRequest) & {
  /** How many requests it remembers now. */
  readonly remembered: () => number;
};

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
 * grant (its string hash) and the comparison of a short encoding of the other fields. Only a request
 * computed twice is remembered (seenBefore): most exchanges are never repeated.
 *
 * A request is remembered only once it validated, and answered from memory only when its grant and
 * every other field validation reads are those of the remembered one (null and absent alike, as
 * validation treats them), so its outcome is the one validation gave; the remembered ValidTokenRequest
 * is a frozen copy (kept), shared by the requests that match it. The gateway's policy (its
 * applications) is fixed for the keyer's life. grant-precheck (expiry, issuer) still runs on every
 * request: it depends on the time.
 *
 * The memo is keyed by grants: process memory only, like the response cache's answers, never logged
 * or stored. Single-use grants (refresh tokens, codes) are never remembered: each is sent once, and
 * keeping it would only keep a secret alive. Bounded by entries and total characters (a caller
 * sending distinct 8 KB assertions churns it, nothing more). An entry is never used
 * REQUEST_KEY_MEMO.ttlMs after it was computed, and expired entries are dropped from the least
 * recently used end, one per request: a gateway that receives no requests at all keeps them until
 * it does, at most maxEntries.
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

  /** Drops the least recently used entry when it has expired: each request drains the stale end by one. */
  const dropStalest = (nowMs: number) => {
    const stalest = memo.entries().next();
    if (stalest.done !== true && stalest.value[1].until <= nowMs) forget(stalest.value[0]);
  };

  /**
   * Whether a replayable request with this fingerprint was computed before (and not long ago): the
   * memo keeps only requests seen twice. A stream of distinct exchanges, every one new, then costs a
   * fingerprint in this set each instead of a copy of its request in the memo, and cannot churn out
   * the requests that repeat. Fingerprints are HMACs: nothing of a grant.
   */
  const seenOnce = new Set<string>();
  const seenBefore = (fingerprint: string): boolean => {
    if (seenOnce.delete(fingerprint)) return true;
    seenOnce.add(fingerprint);
    if (seenOnce.size > REQUEST_KEY_MEMO.maxEntries) seenOnce.delete(seenOnce.values().next().value as string);
    return false;
  };

  const keyOf = (request: TokenRequest): KeyedRequest => {
    const grantField = REMEMBERED_GRANTS.get(request.grantType);
    const grant = grantField === undefined ? undefined : request[grantField];
    if (grantField === undefined || typeof grant !== "string") return compute(request);
    const nowMs = now();
    const remembered = memo.get(grant);
    dropStalest(nowMs);
    if (remembered !== undefined && remembered.until > nowMs && remembered.others === otherFieldsOf(request, grantField)) {
      // Most recently used last: delete and re-insert (a Map iterates in insertion order).
      memo.delete(grant);
      memo.set(grant, remembered);
      return remembered.keyed;
    }
    const computed = compute(request);
    // A grant the memo holds (expired, or with other fields) is a repeat too: remembered again at once.
    if (remembered === undefined && !seenBefore(computed.fingerprint)) return computed;
    const others = otherFieldsOf(request, grantField);
    if (others === undefined) return computed;
    const keyed = kept(computed);
    const storedGrant = keyed.request[grantField] as string;
    forget(storedGrant);
    const entry: Remembered = { others, keyed, chars: storedGrant.length + others.length, until: nowMs + REQUEST_KEY_MEMO.ttlMs };
    memo.set(storedGrant, entry);
    chars += entry.chars;
    for (const oldest of memo.keys()) {
      if (memo.size <= REQUEST_KEY_MEMO.maxEntries && chars <= REQUEST_KEY_MEMO.maxChars) break;
      forget(oldest);
    }
    return keyed;
  };
  return Object.assign(keyOf, { remembered: () => memo.size });
}

/**
 * What the memo keeps of a validated request: a frozen copy of its own, so the callers that share it
 * cannot change it for one another, and so it holds no caller's string. A grant written inline in a
 * query reaches the resolver as a slice of the whole document (graphql-js' parser): kept as it is, it
 * would keep the whole request body alive while the memo counted only the grant's characters.
 */
function kept(keyed: KeyedRequest): KeyedRequest {
  const request = JSON.parse(JSON.stringify(keyed.request)) as ValidTokenRequest;
  if (request.scope !== undefined) Object.freeze(request.scope);
  return Object.freeze({ request: Object.freeze(request), fingerprint: keyed.fingerprint });
}

/**
 * The grant type and every field but the grant's, null for absent, as JSON: two requests share it
 * only when those fields are equal. Only for GraphQL's values (strings, lists of strings, null or
 * absent); anything else, which JSON could show as another value (NaN as null), is undefined: such a
 * request is validated every time.
 */
function otherFieldsOf(request: TokenRequest, grantField: "assertion" | "subjectToken"): string | undefined {
  const values: unknown[] = [request.grantType];
  for (const name of OTHER_FIELDS) {
    const value = name === grantField ? null : (request[name] ?? null);
    if (value !== null && typeof value !== "string" && !(Array.isArray(value) && value.every((item) => typeof item === "string"))) return undefined;
    values.push(value);
  }
  return JSON.stringify(values);
}

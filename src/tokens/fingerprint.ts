import { createHmac } from "node:crypto";
import type { ValidTokenRequest } from "./grant-validation.js";

/** Bump when the canonical encoding changes, so old keys (in a shared store) can never collide with new ones. */
const ENCODING_VERSION = "token-request/v1";

/**
 * A keyed fingerprint of an exchange: HMAC-SHA256 under the gateway secret over a canonical
 * encoding of everything that decides AWS's answer. Two requests with the same fingerprint get the
 * same answer, so they may share one upstream call. Keyed, because the secret input (assertion,
 * code, refresh or subject token) must not be recoverable from a loader/cache key, not even by
 * guessing low-entropy codes offline. Hex output: it never contains a substring of the input.
 */
export function fingerprintTokenRequest(request: ValidTokenRequest, gatewaySecret: Buffer): string {
  return hmacOf(canonicalEncoding(request), gatewaySecret);
}

/** Computes an exchange's fingerprint (fingerprintTokenRequest) under the gateway secret it was made with. */
export type Fingerprinter = (request: ValidTokenRequest) => string;

/** How many replayable exchanges' fingerprints a fingerprinter remembers, their encodings' total length, and for how long. */
export const FINGERPRINT_MEMO = { maxEntries: 1_000, maxChars: 2_000_000, ttlMs: 5 * 60_000 } as const;
/** The grants AWS answers again and again (the response cache's): the ones worth remembering. */
const REPLAYABLE_GRANTS: ReadonlySet<ValidTokenRequest["grantType"]> = new Set(["JWT_BEARER", "TOKEN_EXCHANGE"]);

/**
 * fingerprintTokenRequest for one gateway secret, remembering the fingerprints of the replayable
 * exchanges it saw last. The HMAC is most of what a cache hit costs beyond its answer (~25 µs of CPU
 * per request in bench/profile.ts's b against b-floor: creating the HMAC context dominates, not
 * hashing), and a busy gateway sees the same exchange again and again (every page load of a signed-in
 * user). Looking the canonical encoding up costs a string hash instead.
 *
 * The memo is keyed by the canonical encoding, which holds the grant: process memory only, like the
 * response cache's answers, never logged or stored. Single-use grants (refresh tokens, codes) are
 * never remembered: each is sent once, and keeping it would only keep a secret alive. Bounded by
 * entries and total characters (a caller sending distinct 8 KB assertions churns it, nothing more),
 * and each entry is forgotten FINGERPRINT_MEMO.ttlMs after it was computed, so a quiet gateway does
 * not keep grants long past their use.
 *
 * A Map kept in recency order, not lru-cache: lru-cache publishes every get and set, key included, on
 * the `lru-cache:metrics` diagnostics channel to any subscriber in the process (APM agents,
 * OpenTelemetry), and these keys hold grants.
 */
export function createFingerprinter(gatewaySecret: Buffer, now: () => number = Date.now): Fingerprinter {
  const memo = new Map<string, { fingerprint: string; until: number }>();
  let chars = 0;
  const forget = (encoding: string) => {
    if (memo.delete(encoding)) chars -= encoding.length;
  };
  return (request) => {
    const encoding = canonicalEncoding(request);
    if (!REPLAYABLE_GRANTS.has(request.grantType)) return hmacOf(encoding, gatewaySecret);
    const remembered = memo.get(encoding);
    if (remembered !== undefined && remembered.until > now()) {
      // Most recently used last: delete and re-insert (a Map iterates in insertion order).
      memo.delete(encoding);
      memo.set(encoding, remembered);
      return remembered.fingerprint;
    }
    forget(encoding);
    const fingerprint = hmacOf(encoding, gatewaySecret);
    memo.set(encoding, { fingerprint, until: now() + FINGERPRINT_MEMO.ttlMs });
    chars += encoding.length;
    for (const oldest of memo.keys()) {
      if (memo.size <= FINGERPRINT_MEMO.maxEntries && chars <= FINGERPRINT_MEMO.maxChars) break;
      forget(oldest);
    }
    return fingerprint;
  };
}

function hmacOf(encoding: string, gatewaySecret: Buffer): string {
  return createHmac("sha256", gatewaySecret).update(encoding).digest("hex");
}

/**
 * A JSON array in a fixed order: unambiguous (JSON escapes every delimiter), and scope sorted
 * because it is a set (the same scopes in another order are the same exchange).
 */
export function canonicalEncoding(request: ValidTokenRequest): string {
  return JSON.stringify([
    ENCODING_VERSION,
    request.clientId,
    request.grantType,
    request.assertion ?? null,
    request.code ?? null,
    request.refreshToken ?? null,
    request.subjectToken ?? null,
    request.scope === undefined ? null : [...request.scope].sort(),
    request.redirectUri ?? null,
    request.codeVerifier ?? null,
    request.subjectTokenType ?? null,
    request.requestedTokenType ?? null,
  ]);
}

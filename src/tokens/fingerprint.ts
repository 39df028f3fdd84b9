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

import { pino } from "pino";

/**
 * What the logger must never write, wherever it sits in a logged object. pino's own `redact`
 * needs one path per key per depth (`key`, `*.key`, `*.*.key` …), which cost ~0.7 ms per line with
 * this many keys; one walk over the logged object costs microseconds and has no depth blind spot.
 */

/** Keys whose value is a credential, token or grant secret (compared case-insensitively). */
export const SECRET_KEYS = [
  // Grant inputs and token responses (SSO OIDC field names).
  "accessToken", "refreshToken", "idToken", "assertion", "code", "codeVerifier", "subjectToken",
  "clientSecret", "deviceCode", "userCode", "token",
  // The STS context assertion AWS returns with the tokens (awsAdditionalDetails.identityContext), and STS
  // AssumeRole's name for it (ProvidedContexts.member.N.ContextAssertion).
  "identityContext", "contextAssertion",
  // Same, in OAuth wire spelling.
  "access_token", "refresh_token", "id_token", "code_verifier", "subject_token", "client_secret",
  // AWS credentials and the gateway's own key.
  "secretAccessKey", "sessionToken", "gatewaySecret", "password",
  // Session mode: the session id (the cookie's value) and a rotated id's successor.
  "sessionId", "successorId",
  // HTTP headers that carry credentials.
  "authorization", "cookie", "set-cookie", "x-amz-security-token",
] as const;

/** Objects whose every member is caller-supplied and may hold any of the above: GraphQL input and variables. */
export const SECRET_CONTAINERS = ["input", "variables"] as const;

/** Any key containing one of these is a secret too (awsSecretAccessKey, dbPassword …), unless its value is a flag or number. */
const SECRET_KEY_PARTS = ["secret", "password"];

export const REDACTION_CENSOR = "[redacted]";

/** Deeper than this, a value is replaced rather than walked (log objects are shallow; this bounds the cost). */
export const MAX_DEPTH = 12;

const SECRET_KEY_SET = new Set<string>(SECRET_KEYS.map((key) => key.toLowerCase()));
const CONTAINER_SET = new Set<string>(SECRET_CONTAINERS);

/**
 * `code` is both a secret (an authorization code) and the most useful field of an error
 * (`ECONNRESET`, `ERR_INVALID_URL`, `INVALID_GRANT`). A number or an upper-case identifier cannot be
 * an Identity Center authorization code (those are long mixed-case strings), so such values are kept.
 */
const DIAGNOSTIC_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

function censorFor(key: string, value: unknown): unknown {
  if (key === "code" && (typeof value === "number" || (typeof value === "string" && DIAGNOSTIC_CODE.test(value)))) return value;
  return REDACTION_CENSOR;
}

/** Whether a field of this name holds a secret when its value is a string (the names above, or any holding "secret" or "password"). */
export function isSecretFieldName(name: string): boolean {
  return isSecretKey(name.toLowerCase(), "");
}

function isSecretKey(lowerKey: string, value: unknown): boolean {
  if (SECRET_KEY_SET.has(lowerKey)) return true;
  return typeof value !== "boolean" && typeof value !== "number" && SECRET_KEY_PARTS.some((part) => lowerKey.includes(part));
}

/**
 * pino serializes an error into an object with a prototype of its own, and serializes an
 * AggregateError's `errors` the same way (as `aggregateErrors`): those members are walked too.
 */
const SERIALIZED_ERROR_PROTOTYPE: unknown = Object.getPrototypeOf(pino.stdSerializers.err(new Error("prototype of a serialized error")));

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null || prototype === SERIALIZED_ERROR_PROTOTYPE;
}

/** A copy of `value` with every secret replaced by "[redacted]". Errors become pino's serialized form, redacted. */
export function redactSecrets(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) return "[too deep]";
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  try {
    if (value instanceof Error) return walkObject(pino.stdSerializers.err(value) as unknown as Record<string, unknown>, depth, seen);
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, seen));
    // Bytes are never written, whatever their key: which of them are secret cannot be told. Node's HTTP client errors
    // carry the raw request they failed on (`rawPacket`: its Authorization and Cookie headers, its body), which fastify
    // logs at trace level; as JSON, a Buffer is its list of byte values, found by no search for a secret's text.
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
    // Dates, Maps … are left to JSON; a secret among them is caught by its key one level up.
    return isPlainObject(value) ? walkObject(value, depth, seen) : value;
  } finally {
    seen.delete(value);
  }
}

function walkObject(object: Record<string, unknown>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    const value = object[key];
    const lowerKey = key.toLowerCase();
    if (CONTAINER_SET.has(lowerKey)) copy[key] = censorContainer(value);
    else if (isSecretKey(lowerKey, value)) copy[key] = censorFor(lowerKey, value);
    else copy[key] = walk(value, depth + 1, seen);
  }
  return copy;
}

/** GraphQL input/variables: keep the shape (which fields were sent), censor every member. */
function censorContainer(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value !== "object" || Array.isArray(value) || !isPlainObject(value)) return REDACTION_CENSOR;
  return Object.fromEntries(Object.keys(value).map((key) => [key, REDACTION_CENSOR]));
}

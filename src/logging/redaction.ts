/**
 * What the logger must never write. pino's redaction paths have no "any depth" wildcard, so each
 * key is listed at every depth up to MAX_DEPTH (`key`, `*.key`, `*.*.key` …); `*` also walks arrays.
 */

/** Keys whose value is a credential, token or grant secret, wherever they appear. */
export const SECRET_KEYS = [
  // Grant inputs and token responses (SSO OIDC field names).
  "accessToken", "refreshToken", "idToken", "assertion", "code", "codeVerifier", "subjectToken",
  "clientSecret", "deviceCode", "userCode", "token",
  // Same, in OAuth wire spelling.
  "access_token", "refresh_token", "id_token", "code_verifier", "subject_token", "client_secret",
  // AWS credentials and the gateway's own key.
  "secretAccessKey", "sessionToken", "gatewaySecret", "password",
  // HTTP headers that carry credentials.
  "authorization", "Authorization", "cookie", "Cookie", "set-cookie", "Set-Cookie",
  "x-amz-security-token", "X-Amz-Security-Token",
] as const;

/** Objects whose every member is caller-supplied and may hold any of the above: GraphQL input and variables. */
export const SECRET_CONTAINERS = ["input", "variables"] as const;

export const MAX_DEPTH = 5;

export const REDACTION_CENSOR = "[redacted]";

const DIAGNOSTIC_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * `code` is both a secret (an authorization code) and the most useful field of a logged error
 * (`err.code` = `ECONNRESET`, `ERR_INVALID_URL`, `INVALID_GRANT`). pino does not tell the censor
 * where a wildcard matched, so the value decides: a number or an upper-case identifier cannot be
 * an Identity Center authorization code (those are long mixed-case strings) and is kept.
 * Every other secret key is censored unconditionally.
 */
export function censor(value: unknown, path: readonly unknown[]): unknown {
  if (path[path.length - 1] !== "code") return REDACTION_CENSOR;
  if (path.some((segment) => (SECRET_CONTAINERS as readonly unknown[]).includes(segment))) return REDACTION_CENSOR;
  if (typeof value === "number") return value;
  return typeof value === "string" && DIAGNOSTIC_CODE.test(value) ? value : REDACTION_CENSOR;
}

/** A key in pino path syntax: bracketed when it is not a plain identifier (e.g. `set-cookie`). */
function pathSegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}

function atEveryDepth(suffix: string): string[] {
  return Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => {
    const prefix = "*.".repeat(depth);
    return suffix.startsWith("[") ? `${prefix.replace(/\.$/, "")}${suffix}` : `${prefix}${suffix}`;
  });
}

export function redactionPaths(): string[] {
  return [
    ...SECRET_KEYS.flatMap((key) => atEveryDepth(pathSegment(key))),
    ...SECRET_CONTAINERS.flatMap((container) => atEveryDepth(`${container}.*`)),
  ];
}

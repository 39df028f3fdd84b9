/**
 * Decodes (does NOT verify) the payload of the idToken AWS returns, into typed claims.
 * The gateway received the idToken from AWS over TLS, so decoding is safe for display and
 * scheduling; anyone who needs proof of origin must verify the signature against AWS's keys.
 * Malformed input yields null, never an exception: a bad idToken must not fail the response.
 */

export type JsonObject = Record<string, unknown>;

export interface DecodedIdTokenClaims {
  subject: string | null;
  issuer: string | null;
  audience: string[];
  issuedAt: Date | null;
  expiresAt: Date | null;
  authTime: Date | null;
  identityStoreId: string | null;
  identityStoreArn: string | null;
  instanceArn: string | null;
  instanceAccount: string | null;
  credentialId: string | null;
  identityContext: string | null;
  auditContext: string | null;
  raw: JsonObject;
}

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The JWT payload as a JSON object, or null when the token is not a well-formed JWS. */
export function decodeJwtPayload(token: string | null | undefined): JsonObject | null {
  if (typeof token !== "string") return null;
  const segments = token.split(".");
  if (segments.length !== 3) return null;
  const payload = segments[1];
  if (payload === undefined || !BASE64URL_SEGMENT.test(payload)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  return isJsonObject(parsed) ? parsed : null;
}

export function decodeIdTokenClaims(idToken: string | null | undefined): DecodedIdTokenClaims | null {
  const raw = decodeJwtPayload(idToken);
  if (raw === null) return null;
  return {
    subject: stringClaim(raw, "sub"),
    issuer: stringClaim(raw, "iss"),
    audience: audienceClaim(raw.aud),
    issuedAt: timeClaim(raw.iat),
    expiresAt: timeClaim(raw.exp),
    authTime: timeClaim(raw.auth_time),
    identityStoreId: stringClaim(raw, "aws:identity_store_id"),
    identityStoreArn: stringClaim(raw, "aws:identity_store_arn"),
    instanceArn: stringClaim(raw, "aws:instance_arn"),
    instanceAccount: stringClaim(raw, "aws:instance_account"),
    credentialId: stringClaim(raw, "aws:credential_id"),
    identityContext: stringClaim(raw, "sts:identity_context"),
    auditContext: stringClaim(raw, "sts:audit_context"),
    raw,
  };
}

/** One decode per response object: a cached response is served to many requests, and aliases ask again within one. */
const claimsByResponse = new WeakMap<object, DecodedIdTokenClaims | null>();

/**
 * decodeIdTokenClaims(response.idToken), memoised per response object (responses are never
 * mutated, so its idToken never changes). Callers must treat the result as read-only: it is shared.
 */
export function idTokenClaimsOf(response: { readonly idToken?: string | null | undefined }): DecodedIdTokenClaims | null {
  const known = claimsByResponse.get(response);
  if (known !== undefined) return known;
  const claims = decodeIdTokenClaims(response.idToken);
  claimsByResponse.set(response, claims);
  return claims;
}

/** Sets the claims idTokenClaimsOf answers for `response` (a copy that withholds its idToken still shows its claims). */
export function rememberIdTokenClaims(response: object, claims: DecodedIdTokenClaims | null): void {
  claimsByResponse.set(response, claims);
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringClaim(claims: JsonObject, name: string): string | null {
  const value = claims[name];
  return typeof value === "string" ? value : null;
}

/** RFC 7519 allows `aud` as one string or an array of strings; always answer a list. */
export function audienceClaim(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return [];
}

/**
 * A JWT time claim as a Date. NumericDate (seconds since the epoch) per RFC 7519, or an
 * ISO-8601 string, which is how AWS's documented idToken example writes `auth_time`.
 * Anything else, or a date outside what a Date can hold, is null.
 */
export function timeClaim(value: unknown): Date | null {
  let date: Date;
  if (typeof value === "number" && Number.isFinite(value)) date = new Date(value * 1000);
  else if (typeof value === "string" && value.trim() !== "" && Number.isNaN(Number(value))) date = new Date(value);
  else return null;
  return Number.isNaN(date.getTime()) ? null : date;
}

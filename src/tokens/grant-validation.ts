import { z } from "zod";
import { GatewayError } from "../errors/error-codes.js";
import { TOKEN_TYPE_URIS, type GrantType, type TokenRequest } from "./token.types.js";

/**
 * Validation of a token request before any upstream call: per grant, the fields it needs, the
 * fields it must not carry, and bounded lengths. A rejection is BAD_USER_INPUT naming the field
 * (`input.<name>`, the GraphQL input path) and never echoing a value: most of these are secrets.
 * The SSO OIDC model bounds none of these strings, so the limits are generous but finite.
 */
export const LIMITS = {
  /** JWTs and Identity Center tokens (assertion, refreshToken, subjectToken). */
  secretTokenChars: 8192,
  codeChars: 4096,
  uriChars: 2048,
  clientIdChars: 2048,
  scopeItems: 50,
  scopeItemChars: 256,
} as const;

/** The validated request: defaults applied, nulls gone, only the fields the grant uses. */
export interface ValidTokenRequest {
  clientId: string;
  grantType: GrantType;
  code?: string;
  refreshToken?: string;
  assertion?: string;
  scope?: string[];
  redirectUri?: string;
  subjectToken?: string;
  subjectTokenType?: string;
  requestedTokenType?: string;
  codeVerifier?: string;
}

type GrantField = Exclude<keyof TokenRequest, "clientId" | "grantType">;
const GRANT_FIELDS: readonly GrantField[] = [
  "assertion", "code", "redirectUri", "codeVerifier", "refreshToken", "subjectToken", "subjectTokenType", "requestedTokenType", "scope",
];

/** RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Token exchange: the model accepts only an access token as the subject. */
const SUBJECT_TOKEN_TYPES = [TOKEN_TYPE_URIS.ACCESS_TOKEN] as const;
/** What a token exchange may request: the model's access_token and refresh_token, and AWS's own token type. */
const REQUESTED_TOKEN_TYPES = [TOKEN_TYPE_URIS.ACCESS_TOKEN, TOKEN_TYPE_URIS.REFRESH_TOKEN, TOKEN_TYPE_URIS.AWS_TOKEN] as const;

const field = (name: string) => `input.${name}`;

function boundedString(name: GrantField, grant: GrantType, maxChars: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `${field(name)} is required for grantType ${grant}` : `${field(name)} must be a string`) })
    .min(1, { error: `${field(name)} must not be empty` })
    .max(maxChars, { error: `${field(name)} must be at most ${maxChars} characters` });
}

function absoluteUri(name: GrantField, grant: GrantType) {
  return boundedString(name, grant, LIMITS.uriChars).refine(isAbsoluteUri, { error: `${field(name)} must be an absolute URI (scheme:…) without spaces` });
}

function isAbsoluteUri(value: string): boolean {
  if (/\s/.test(value)) return false;
  try {
    return new URL(value).protocol.length > 1;
  } catch {
    return false;
  }
}

function oneOf(name: GrantField, grant: GrantType, values: readonly [string, ...string[]]) {
  return boundedString(name, grant, LIMITS.uriChars).refine((value) => values.includes(value), {
    error: `${field(name)} must be one of ${values.join(", ")}`,
  });
}

function forbidden(name: GrantField, grant: GrantType) {
  return z.undefined({ error: `${field(name)} must not be set for grantType ${grant}` }).optional();
}

const scopeList = z
  .array(
    z
      .string({ error: `${field("scope")} items must be strings` })
      .min(1, { error: `${field("scope")} items must not be empty` })
      .max(LIMITS.scopeItemChars, { error: `${field("scope")} items must be at most ${LIMITS.scopeItemChars} characters` })
      .regex(SCOPE_TOKEN, { error: `${field("scope")} items must be printable ASCII without spaces, quotes or backslashes` }),
    { error: `${field("scope")} must be a list of strings` },
  )
  .min(1, { error: `${field("scope")} must have 1 to ${LIMITS.scopeItems} items (omit it for the application's default scopes)` })
  .max(LIMITS.scopeItems, { error: `${field("scope")} must have 1 to ${LIMITS.scopeItems} items` });

type FieldRules = Partial<Record<GrantField, z.ZodType>>;

/** Builds a grant's schema: the given rules, and every other grant field forbidden. */
function grantSchema(grant: GrantType, rules: FieldRules) {
  const shape: Record<string, z.ZodType> = {};
  for (const name of GRANT_FIELDS) shape[name] = rules[name] ?? forbidden(name, grant);
  return z.object(shape);
}

const GRANT_SCHEMAS: Record<GrantType, z.ZodType> = {
  JWT_BEARER: grantSchema("JWT_BEARER", {
    assertion: boundedString("assertion", "JWT_BEARER", LIMITS.secretTokenChars),
    scope: scopeList.optional(),
  }),
  AUTHORIZATION_CODE: grantSchema("AUTHORIZATION_CODE", {
    code: boundedString("code", "AUTHORIZATION_CODE", LIMITS.codeChars),
    redirectUri: absoluteUri("redirectUri", "AUTHORIZATION_CODE"),
    codeVerifier: z
      .string({ error: `${field("codeVerifier")} must be a string` })
      .regex(CODE_VERIFIER, { error: `${field("codeVerifier")} must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~" (RFC 7636)` })
      .optional(),
    scope: scopeList.optional(),
  }),
  REFRESH_TOKEN: grantSchema("REFRESH_TOKEN", {
    refreshToken: boundedString("refreshToken", "REFRESH_TOKEN", LIMITS.secretTokenChars),
    scope: scopeList.optional(),
  }),
  TOKEN_EXCHANGE: grantSchema("TOKEN_EXCHANGE", {
    subjectToken: boundedString("subjectToken", "TOKEN_EXCHANGE", LIMITS.secretTokenChars),
    subjectTokenType: oneOf("subjectTokenType", "TOKEN_EXCHANGE", SUBJECT_TOKEN_TYPES),
    requestedTokenType: oneOf("requestedTokenType", "TOKEN_EXCHANGE", REQUESTED_TOKEN_TYPES).optional(),
    scope: scopeList.optional(),
  }),
};

export interface ClientPolicy {
  defaultClientId: string;
  allowedClientIds: readonly string[];
}

/** Validates `request` for its grant; throws GatewayError("BAD_USER_INPUT", …, { field }) on the first fault. */
export function validateTokenRequest(request: TokenRequest, policy: ClientPolicy): ValidTokenRequest {
  const grantType = request.grantType;
  const schema = (GRANT_SCHEMAS as Partial<Record<string, z.ZodType>>)[grantType];
  if (schema === undefined) {
    throw new GatewayError("BAD_USER_INPUT", `${field("grantType")} must be one of ${Object.keys(GRANT_SCHEMAS).join(", ")}`, { field: field("grantType") });
  }
  const clientId = validateClientId(request.clientId, policy);
  // GraphQL sends null for an omitted nullable field; treat it as absent.
  const present = Object.fromEntries(GRANT_FIELDS.map((name) => [name, request[name] ?? undefined]).filter(([, value]) => value !== undefined));
  const result = schema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0];
    // A failed parse has at least one issue, under one of the object's fields: the fallbacks only satisfy the types.
    // Stryker disable next-line OptionalChaining,StringLiteral: equivalent, unreachable fallbacks (see above)
    const name = String(issue?.path[0] ?? "input");
    // Stryker disable next-line OptionalChaining,StringLiteral: equivalent, unreachable fallbacks (see above)
    const message = issue?.message ?? "input is invalid";
    throw new GatewayError("BAD_USER_INPUT", message, { field: field(name) });
  }
  return { clientId, grantType, ...(result.data as Omit<ValidTokenRequest, "clientId" | "grantType">) };
}

function validateClientId(clientId: string | null | undefined, policy: ClientPolicy): string {
  if (clientId === null || clientId === undefined) return policy.defaultClientId;
  const allowed = typeof clientId !== "string" || clientId === "" || clientId.length > LIMITS.clientIdChars ? -1 : policy.allowedClientIds.indexOf(clientId);
  if (allowed < 0) {
    throw new GatewayError("BAD_USER_INPUT", `${field("clientId")} must be one of the applications this gateway is configured for (ALLOWED_CLIENT_IDS), or omitted for the default`, {
      field: field("clientId"),
    });
  }
  // The configuration's own string, not the caller's: a literal written in the query is a slice of the
  // document's text, which a cached answer holding it would keep alive (up to MAX_BODY_BYTES an answer).
  return policy.allowedClientIds[allowed] as string;
}

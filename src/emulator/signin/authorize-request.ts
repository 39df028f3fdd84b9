/**
 * Verifies the query of GET /authorize (RFC 6749 §4.1.1, RFC 7636 §4.3). Order matters: until the
 * client and its redirect URI are verified, every problem is shown on an error page (redirecting
 * to an unverified URI would make the emulator an open redirector); after that, problems go back to
 * the client as `error=` on its redirect URI, with its `state`.
 */
import type { EmulatorContext } from "../emulator-context.js";
import { checkClientRedirect } from "./signin-clients.js";

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: "S256" | "plain" | undefined;
  /** Undefined: the client's scopes. Checked, with the grant type and PKCE rules, when the code is issued. */
  scopes: string[] | undefined;
}

export type AuthorizeVerdict =
  | { kind: "valid"; request: AuthorizeRequest }
  | { kind: "error-page"; message: string }
  | { kind: "error-redirect"; location: string };

/** RFC 7636 §4.2: 43 to 128 unreserved characters. */
const CODE_CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** `redirectUri` with OAuth's answer parameters added to whatever query it already has. */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

/** The one value of `name`; "repeated" when it appears more than once (RFC 6749 §3.1 forbids that). */
function single(query: URLSearchParams, name: string): string | undefined | "repeated" {
  const values = query.getAll(name);
  if (values.length > 1) return "repeated";
  return values[0];
}

/** AWS's page takes `scopes`; `scope` is OAuth's name. Space- or comma-separated. */
function requestedScopes(query: URLSearchParams): string[] | undefined {
  const raw = [...query.getAll("scopes"), ...query.getAll("scope")].join(" ");
  const scopes = raw.split(/[\s,]+/).filter(Boolean);
  return scopes.length === 0 ? undefined : [...new Set(scopes)];
}

export function verifyAuthorizeQuery(ctx: EmulatorContext, query: URLSearchParams): AuthorizeVerdict {
  const clientId = single(query, "client_id");
  if (clientId === undefined || clientId === "") return { kind: "error-page", message: "The request has no client_id." };
  if (clientId === "repeated") return { kind: "error-page", message: "client_id appears more than once." };
  const redirectUri = single(query, "redirect_uri");
  if (redirectUri === undefined || redirectUri === "") return { kind: "error-page", message: "The request has no redirect_uri." };
  if (redirectUri === "repeated") return { kind: "error-page", message: "redirect_uri appears more than once." };
  // Configured applications may list any string; only a URI can be redirected to.
  if (!URL.canParse(redirectUri)) return { kind: "error-page", message: `The redirect_uri ${redirectUri} is not an absolute URI.` };
  switch (checkClientRedirect(ctx, clientId, redirectUri).kind) {
    case "unknown-client":
      return { kind: "error-page", message: `No application or registered client has the client_id ${clientId}.` };
    case "unregistered-redirect-uri":
      return { kind: "error-page", message: `The redirect_uri ${redirectUri} is not registered for ${clientId}.` };
    case "trusted":
      break;
  }

  const state = single(query, "state");
  const fail = (error: string, description: string): AuthorizeVerdict => ({
    kind: "error-redirect",
    location: redirectWith(redirectUri, { error, error_description: description, state: state === "repeated" ? undefined : state }),
  });
  if (state === "repeated") return fail("invalid_request", "state appears more than once.");
  const responseType = single(query, "response_type");
  if (responseType === undefined || responseType === "repeated") return fail("invalid_request", "response_type must be given once.");
  if (responseType !== "code") return fail("unsupported_response_type", "Only response_type=code is supported.");
  const codeChallenge = single(query, "code_challenge");
  const method = single(query, "code_challenge_method");
  if (codeChallenge === "repeated" || method === "repeated") return fail("invalid_request", "code_challenge and code_challenge_method must be given once.");
  if (method !== undefined && method !== "S256" && method !== "plain") return fail("invalid_request", "code_challenge_method must be S256 or plain.");
  if (codeChallenge === undefined && method !== undefined) return fail("invalid_request", "code_challenge_method was given without code_challenge.");
  if (codeChallenge !== undefined && !CODE_CHALLENGE.test(codeChallenge)) {
    return fail("invalid_request", "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636).");
  }
  const scopes = requestedScopes(query);
  return {
    kind: "valid",
    // RFC 7636 §4.3: a challenge without a method is "plain".
    request: { clientId, redirectUri, state, codeChallenge, codeChallengeMethod: codeChallenge === undefined ? undefined : (method ?? "plain"), scopes },
  };
}

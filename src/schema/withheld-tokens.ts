import type { CookieSessionConfig } from "../config/config.types.js";
import { idTokenClaimsOf, rememberIdTokenClaims, type DecodedIdTokenClaims } from "../tokens/id-token-claims.js";
import type { IssuedToken } from "../tokens/token.types.js";

/** The id token's claims that are credentials, not facts about the user: each obtains identity-enhanced AWS credentials. */
const CREDENTIAL_CLAIMS = ["sts:identity_context", "sts:audit_context"] as const;

/** The tokens each withheld copy stands for: fields resolved on the copy (awsCredentials) still work from the real tokens. */
const originals = new WeakMap<object, IssuedToken>();

/**
 * Session mode: the response a page script sees. The refresh token and the identity context never,
 * the access and id tokens only when SESSION_EXPOSE lists them. The id token's claims still show,
 * without the credential claims.
 */
export function withholdTokens(token: IssuedToken, expose: CookieSessionConfig["expose"]): IssuedToken {
  const { refreshToken: _refreshToken, accessToken, idToken, awsAdditionalDetails: _details, ...rest } = token;
  const copy: IssuedToken = {
    ...rest,
    ...(expose.accessToken && accessToken !== undefined ? { accessToken } : {}),
    ...(expose.idToken && idToken !== undefined ? { idToken } : {}),
  };
  originals.set(copy, token);
  rememberIdTokenClaims(copy, withoutCredentialClaims(idTokenClaimsOf(token)));
  return copy;
}

/** The real tokens behind a withheld copy (the token itself otherwise). */
export function originalTokens(token: IssuedToken): IssuedToken {
  return originals.get(token) ?? token;
}

/** The claims a page script may read in session mode. */
export function withoutCredentialClaims(claims: DecodedIdTokenClaims | null): DecodedIdTokenClaims | null {
  if (claims === null) return null;
  const raw = { ...claims.raw };
  for (const name of CREDENTIAL_CLAIMS) delete raw[name];
  return { ...claims, identityContext: null, auditContext: null, raw };
}

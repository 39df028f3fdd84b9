import { GatewayError } from "../errors/error-codes.js";
import type { RequestSessionService } from "../sessions/index.js";
import { decodeIdTokenClaims } from "../tokens/id-token-claims.js";

/**
 * Session mode: assumeRoleWithIdentityContext makes credentials only from the identity context of
 * the request's own live session (its cookie). A page shown the ID token (SESSION_EXPOSE=idToken)
 * holds the context inside it; unbound, a script that copied it made credentials from anywhere,
 * without the cookie, until the session was signed out, and past a session's idle or absolute end
 * (an attacker review: credentials 3 s after an idle timeout, and 2 s after the absolute lifetime).
 * Bound, it is worth nothing off the page, and the session's every end (sign-out, timeouts,
 * displacement, sign-out everywhere) ends it too, as the session's lookup does.
 */
export async function requireSessionIdentityContext(session: RequestSessionService, identityContext: string): Promise<void> {
  const view = await session.current();
  if (view === undefined) {
    throw new GatewayError(
      "UNAUTHENTICATED",
      "There is no live session: in session mode assumeRoleWithIdentityContext makes credentials only for the signed-in session's own identity context (send the session cookie; or select session { awsCredentials }).",
    );
  }
  const { token } = view;
  const held = [token.awsAdditionalDetails?.identityContext, decodeIdTokenClaims(token.idToken)?.identityContext];
  if (!held.includes(identityContext)) {
    throw new GatewayError(
      "BAD_USER_INPUT",
      "identityContext is not the signed-in session's: in session mode only the session's own identity context (its ID token's sts:identity_context) makes credentials. Select session { awsCredentials } instead.",
      { field: "input.identityContext" },
    );
  }
}

import { GatewayError } from "../errors/error-codes.js";
import type { IssuedToken } from "../tokens/token.types.js";

/**
 * A cookie session outlives its access token (it refreshes it); its identity context does not: the
 * gateway's record of the context, which assumeRoleWithIdentityContext checks before the cache and
 * STS, ends with the access token. `session { awsCredentials }` holds to the same end, so an expired
 * session's tokens neither take credentials cached for the context nor send it to STS, which
 * refuses an expired one (EXPIRED_TOKEN, never remembered: one AssumeRole per request).
 */
export function refuseIfSessionTokensExpired(token: Pick<IssuedToken, "issuedAt" | "expiresIn">, now: number): void {
  if (token.expiresIn === undefined || token.issuedAt + token.expiresIn * 1000 > now) return;
  throw new GatewayError(
    "EXPIRED_TOKEN",
    "The session's tokens have expired, and with them their identity context: refresh the session (refreshSession), then ask for awsCredentials again.",
    { field: "awsCredentials" },
  );
}

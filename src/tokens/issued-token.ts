import type { UpstreamTokenResponse } from "../upstream/index.js";
import type { IssuedToken } from "./token.types.js";

/**
 * AWS's answer as the gateway hands it up: the nine response fields, when it arrived, and for
 * which application. `issuedAt` is taken by the caller at receipt, so computed fields such as
 * `expiresAt` stay the same on every read of this response.
 */
export function toIssuedToken(response: UpstreamTokenResponse, clientId: string, issuedAt: number): IssuedToken {
  const token: IssuedToken = { issuedAt, clientId };
  if (response.accessToken !== undefined) token.accessToken = response.accessToken;
  if (response.tokenType !== undefined) token.tokenType = response.tokenType;
  if (response.expiresIn !== undefined) token.expiresIn = response.expiresIn;
  if (response.refreshToken !== undefined) token.refreshToken = response.refreshToken;
  if (response.idToken !== undefined) token.idToken = response.idToken;
  if (response.issuedTokenType !== undefined) token.issuedTokenType = response.issuedTokenType;
  if (response.scope !== undefined) token.scope = [...response.scope];
  if (response.awsAdditionalDetails !== undefined) token.awsAdditionalDetails = { ...response.awsAdditionalDetails };
  return token;
}

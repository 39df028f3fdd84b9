/** Classification of an issued token from the fields AWS returned. Pure functions. */
import { TOKEN_TYPE_URIS } from "../../tokens/token.types.js";

/** True when AWS issued an AWS-format access token (`issuedTokenType` = `urn:amazon:webservices:token`). */
export function computeIsAwsToken(token: { issuedTokenType?: string | null }): boolean {
  return token.issuedTokenType === TOKEN_TYPE_URIS.AWS_TOKEN;
}

/** True when the response carries a refresh token the client can use with `refreshToken`. */
export function computeCanRefresh(token: { refreshToken?: string | null }): boolean {
  return typeof token.refreshToken === "string" && token.refreshToken.length > 0;
}

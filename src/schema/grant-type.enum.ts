import { registerEnumType } from "type-graphql";
import type { GrantType as TokenGrantType } from "../tokens/token.types.js";

/**
 * The GraphQL enum's internal values are the token layer's GrantType strings, so a parsed
 * input can be handed to `context.tokens` without translation. The AWS URNs live in tokens/.
 */
export const GrantType = {
  AUTHORIZATION_CODE: "AUTHORIZATION_CODE",
  REFRESH_TOKEN: "REFRESH_TOKEN",
  JWT_BEARER: "JWT_BEARER",
  TOKEN_EXCHANGE: "TOKEN_EXCHANGE",
} as const satisfies Record<TokenGrantType, TokenGrantType>;

export type GrantType = TokenGrantType;

registerEnumType(GrantType, {
  name: "GrantType",
  description: "The OAuth 2.0 grant to run with CreateTokenWithIAM; each value maps to the grant URN AWS expects.",
  valuesConfig: {
    AUTHORIZATION_CODE: {
      description: "`authorization_code`: exchange an authorization code (needs code and redirectUri; codeVerifier when PKCE was used).",
    },
    REFRESH_TOKEN: {
      description: "`refresh_token`: exchange a refresh token for new tokens (needs refreshToken).",
    },
    JWT_BEARER: {
      description: "`urn:ietf:params:oauth:grant-type:jwt-bearer`: exchange a JWT from a trusted token issuer (needs assertion).",
    },
    TOKEN_EXCHANGE: {
      description:
        "`urn:ietf:params:oauth:grant-type:token-exchange`: exchange an Identity Center access token (needs subjectToken and subjectTokenType).",
    },
  },
});

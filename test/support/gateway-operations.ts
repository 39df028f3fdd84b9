/**
 * GraphQL documents shared by the integration tests, written against the public contract
 * (design.md "Public contracts", issue 3): names here are the product's API.
 */

export const DEFAULT_CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
export const REDIRECT_URI = "http://localhost:4000/callback";
export const AWS_TOKEN_TYPE = "urn:amazon:webservices:token";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
export const REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token";

export const TOKEN_FIELDS = /* GraphQL */ `
  fragment TokenFields on CreateTokenWithIAMResponse {
    accessToken
    tokenType
    expiresIn
    refreshToken
    idToken
    issuedTokenType
    scope
    awsAdditionalDetails { identityContext }
    clientId
    issuedAt
    expiresAt
    expiresAtAgain: expiresAt
    isAwsToken
    isExpired
    secondsRemaining
    canRefresh
    idTokenClaims { subject identityContext }
  }
`;

export const CREATE_TOKEN = /* GraphQL */ `
  mutation CreateToken($input: CreateTokenWithIAMInput!) {
    createTokenWithIAM(input: $input) { ...TokenFields }
  }
  ${TOKEN_FIELDS}
`;

export const REFRESH_TOKEN = /* GraphQL */ `
  mutation Refresh($input: RefreshTokenInput!) {
    refreshToken(input: $input) { ...TokenFields }
  }
  ${TOKEN_FIELDS}
`;

/** Only what error tests need: an error must not depend on which fields were selected. */
export const CREATE_TOKEN_MINIMAL = /* GraphQL */ `
  mutation CreateTokenMinimal($input: CreateTokenWithIAMInput!) {
    createTokenWithIAM(input: $input) { accessToken }
  }
`;

export const GATEWAY_INFO = /* GraphQL */ `
  query GatewayInfo {
    gateway { version upstreamMode region defaultClientId allowedClientIds supportedGrantTypes }
  }
`;

export interface TokenResponse {
  accessToken: string | null;
  tokenType: string | null;
  expiresIn: number | null;
  refreshToken: string | null;
  idToken: string | null;
  issuedTokenType: string | null;
  scope: string[] | null;
  awsAdditionalDetails: { identityContext: string | null } | null;
  clientId: string;
  issuedAt: string;
  expiresAt: string | null;
  expiresAtAgain: string | null;
  isAwsToken: boolean;
  isExpired: boolean;
  secondsRemaining: number | null;
  canRefresh: boolean;
  idTokenClaims: { subject: string | null; identityContext: string | null } | null;
}

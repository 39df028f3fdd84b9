/**
 * The operations the explorer opens with: one tab per grant, each selecting AWS's fields and the
 * computed ones a frontend schedules refreshes with. Variables hold the secrets (never the
 * document), so the documents are safe to persist as automatic persisted queries.
 */
export interface ExampleTab {
  query: string;
  variables: string;
}

// Computed fields first: they are what a frontend reads (and they stay visible above the long tokens).
const TOKEN_FIELDS = `
    expiresAt
    secondsRemaining
    isExpired
    isAwsToken
    canRefresh
    issuedAt
    expiresInSeconds
    clientId
    idTokenClaims {
      subject
      issuer
      audience
      issuedAt
      expiresAt
      identityStoreId
      identityContext
    }
    accessToken
    tokenType
    expiresIn
    refreshToken
    idToken
    issuedTokenType
    scope
    awsAdditionalDetails { identityContext }`;

const json = (value: object) => JSON.stringify(value, null, 2);

/** Where the emulator sends the browser back after authorize: registered for the default application. */
export const EXAMPLE_REDIRECT_URI = "http://localhost:4000/callback";

export const EXAMPLE_TABS: readonly ExampleTab[] = [
  {
    query: `# JWT bearer: exchange a JWT from a trusted token issuer.
# Click "Get a test assertion" in the toolbar (embedded emulator), then run.
mutation JwtBearer($assertion: String!) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) {${TOKEN_FIELDS}
  }
}
`,
    variables: json({ assertion: "" }),
  },
  {
    query: `# Authorization code with PKCE: open the Emulator panel (sidebar) and click
# "Authorization code (PKCE)": it fills code, codeVerifier and redirectUri.
mutation AuthorizationCode($code: String!, $codeVerifier: String!, $redirectUri: String!) {
  createTokenWithIAM(
    input: { grantType: AUTHORIZATION_CODE, code: $code, codeVerifier: $codeVerifier, redirectUri: $redirectUri }
  ) {${TOKEN_FIELDS}
  }
}
`,
    variables: json({ code: "", codeVerifier: "", redirectUri: EXAMPLE_REDIRECT_URI }),
  },
  {
    query: `# Refresh: run an exchange first, then "Tokens from last exchange" (Emulator panel)
# copies its refreshToken here (any tab).
mutation Refresh($refreshToken: String!) {
  refreshToken(input: { refreshToken: $refreshToken }) {
    accessToken
    refreshToken
    expiresIn
    expiresAt
    secondsRemaining
    canRefresh
    isAwsToken
  }
}
`,
    variables: json({ refreshToken: "" }),
  },
  {
    query: `# Token exchange: trade an Identity Center access token for another token type.
# Run an exchange first, then "Tokens from last exchange" (Emulator panel) fills subjectToken.
mutation TokenExchange($subjectToken: String!) {
  createTokenWithIAM(
    input: {
      grantType: TOKEN_EXCHANGE
      subjectToken: $subjectToken
      subjectTokenType: "urn:ietf:params:oauth:token-type:access_token"
      requestedTokenType: "urn:ietf:params:oauth:token-type:access_token"
    }
  ) {
    accessToken
    issuedTokenType
    isAwsToken
    expiresAt
    secondsRemaining
  }
}
`,
    variables: json({ subjectToken: "" }),
  },
  {
    query: `# What this gateway exchanges for: enough for a frontend to configure itself.
query GatewayInfo {
  gateway {
    version
    upstreamMode
    region
    supportedGrantTypes
    defaultClientId
    allowedClientIds
  }
}
`,
    variables: "",
  },
];

/**
 * The contract between the schema layer and the token service. Plain data only:
 * nothing here knows GraphQL, HTTP or the AWS SDK.
 */

export const GRANT_TYPES = ["AUTHORIZATION_CODE", "REFRESH_TOKEN", "JWT_BEARER", "TOKEN_EXCHANGE"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** AWS's grant URNs, as CreateTokenWithIAM takes them. */
export const GRANT_TYPE_URIS: Readonly<Record<GrantType, string>> = {
  AUTHORIZATION_CODE: "authorization_code",
  REFRESH_TOKEN: "refresh_token",
  JWT_BEARER: "urn:ietf:params:oauth:grant-type:jwt-bearer",
  TOKEN_EXCHANGE: "urn:ietf:params:oauth:grant-type:token-exchange",
};

/** Token type URIs of the SSO OIDC model (subjectTokenType, requestedTokenType, issuedTokenType). */
export const TOKEN_TYPE_URIS = {
  ACCESS_TOKEN: "urn:ietf:params:oauth:token-type:access_token",
  REFRESH_TOKEN: "urn:ietf:params:oauth:token-type:refresh_token",
  ID_TOKEN: "urn:ietf:params:oauth:token-type:id_token",
  AWS_TOKEN: "urn:amazon:webservices:token",
} as const;

/** A request to exchange a grant, with AWS's request field names. `clientId` absent = the configured default. */
export interface TokenRequest {
  clientId?: string | null;
  grantType: GrantType;
  code?: string | null;
  refreshToken?: string | null;
  assertion?: string | null;
  scope?: readonly string[] | null;
  redirectUri?: string | null;
  subjectToken?: string | null;
  subjectTokenType?: string | null;
  requestedTokenType?: string | null;
  codeVerifier?: string | null;
}

/** CreateTokenWithIAMResponse as AWS returned it, plus when the gateway received it. */
export interface IssuedToken {
  accessToken?: string;
  tokenType?: string;
  expiresIn?: number;
  refreshToken?: string;
  idToken?: string;
  issuedTokenType?: string;
  scope?: string[];
  awsAdditionalDetails?: { identityContext?: string };
  /** Epoch milliseconds at which this response was issued (received from AWS). Stable for the response's life. */
  issuedAt: number;
  /** The application ARN the token was issued for. */
  clientId: string;
}

/**
 * Who sent a GraphQL operation, for per-caller budgets: the client's address (fastify's
 * `request.ip`, which honours TRUST_PROXY). Never a token or anything derived from one.
 */
export interface RequestCaller {
  address: string;
}

/** A value, or a promise of it: a GraphQL resolver takes either, and a value costs no microtasks. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Per-request facade over the token service. Created once per GraphQL operation (it holds the
 * request's DataLoader) and dropped with it. Fails only by rejecting with a `GatewayError`; an
 * answer served from the process-local response cache comes back as a value, not a promise.
 */
export interface RequestTokenService {
  createToken(request: TokenRequest): MaybePromise<IssuedToken>;
  refresh(request: { clientId?: string | null; refreshToken: string; scope?: readonly string[] | null }): MaybePromise<IssuedToken>;
  /**
   * The operation's answer may not reach its caller (it failed in part): keeps the answers of the
   * authorization codes and refresh tokens it exchanged for the caller's retry with the same code and
   * verifier, or refresh token (each is spent at AWS). The grace window alone answered a refresh's
   * retry only within REFRESH_GRACE_SECONDS (none with 0): a session sign-in with a refresh token
   * whose store failed for longer lost it for good (a review). Never rejects.
   */
  keepUndelivered(): Promise<void>;
  /**
   * Session mode: `token` (an exchange's answer) started a session, whose cookie the response sets
   * whatever its `data`: delivered, so keepUndelivered keeps nothing for it (kept, a retry with a
   * failing sibling field signed in from it again and again, after a sign-out everywhere too). Remembered for the
   * operation: a sibling field handed the same answer (a `refreshToken` of the sign-in's refresh token) does not keep it.
   */
  delivered(token: IssuedToken): void;
  /** Undoes delivered(token): its session ended unseen, its caller gone before the answer (RequestSessionService.abandonSignIn). */
  undelivered(token: IssuedToken): void;
}

/**
 * Identity-enhanced AWS credentials: an STS role session that carries an Identity Center user
 * (trusted identity propagation). Plain data, with no AWS SDK or GraphQL type.
 */
import type { IssuedToken } from "../tokens/token.types.js";

/** What a caller asks for; `roleArn` and `durationSeconds` default from the configuration. */
export interface CredentialsRequest {
  /** `awsAdditionalDetails.identityContext` of a CreateTokenWithIAM answer. A secret: never logged, never in a key. */
  identityContext: string;
  roleArn?: string | null | undefined;
  durationSeconds?: number | null | undefined;
}

/** Where the request's fields came from, for BAD_USER_INPUT's `field`: `input.` for the mutation's input, `` for field arguments. */
export type FieldPrefix = "input." | "";

export interface IssuedCredentials {
  accessKeyId: string;
  /** A secret. */
  secretAccessKey: string;
  /** A secret. */
  sessionToken: string;
  /** When the credentials expire, epoch ms. */
  expiration: number;
  /** The role assumed. */
  roleArn: string;
  /** The role session: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  assumedRoleArn: string;
}

/** The role and session length a caller may choose (both default from the configuration). */
export type CredentialsOptions = Pick<CredentialsRequest, "roleArn" | "durationSeconds">;

/** The credentials service for one GraphQL operation: identical requests in it cost one STS call. */
export interface RequestCredentialsService {
  /**
   * For tokens this operation just received from the gateway (`CreateTokenWithIAMResponse.awsCredentials`):
   * their identity context and application are known. Argument errors name `roleArn` / `durationSeconds`.
   * `session`: the tokens of a cookie session, held since an earlier operation: refused (INVALID_GRANT) once their
   * refresh family was revoked, and (EXPIRED_TOKEN) once their access token expired, before the cache, as
   * `forIdentityContext` refuses the family's identity context and one whose tokens expired.
   */
  forIssuedTokens(issue: IdentityContextIssue & { identityContext: string; session?: IssuedToken }, options: CredentialsOptions): Promise<IssuedCredentials>;
  /**
   * For an identity context a caller presents (`assumeRoleWithIdentityContext`): only one this gateway issued,
   * with unexpired tokens of an unrevoked family. Errors name `input.<field>`.
   */
  forIdentityContext(request: CredentialsRequest): Promise<IssuedCredentials>;
}

/** Where an identity context came from: the application its tokens were issued for. */
export interface IdentityContextIssue {
  clientId: string;
}

/**
 * The identity contexts the gateway issued (implemented by the token service, which sees every
 * answer): `verify` resolves with the issue or rejects with a GatewayError naming `field`.
 */
export interface IdentityContextVerifier {
  verify(identityContext: string, field: string): Promise<IdentityContextIssue>;
  /** Rejects (INVALID_GRANT naming `field`) when a session's tokens belong to a revoked refresh family. */
  refuseIfRevoked?(token: IssuedToken, field: string): Promise<void>;
}

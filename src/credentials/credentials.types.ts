/**
 * Identity-enhanced AWS credentials: an STS role session that carries an Identity Center user
 * (trusted identity propagation). Plain data, with no AWS SDK or GraphQL type.
 */

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

/** The credentials service for one GraphQL operation: identical requests in it cost one STS call. */
export interface RequestCredentialsService {
  assumeRole(request: CredentialsRequest, prefix: FieldPrefix): Promise<IssuedCredentials>;
}

/**
 * A credentials provider for the AWS SDK for JavaScript v3 in the browser: pass it as `credentials`
 * (`new S3Client({ region, credentials: provider })`). Each call resolves with identity-enhanced AWS
 * credentials for the signed-in user, which the gateway gets from STS AssumeRole with the user's
 * identity context.
 *
 * - Memoized: the same credentials until `refreshSkewMs` (five minutes) before they expire.
 * - Renewed ahead of expiration through `assumeRoleWithIdentityContext`, with the identity context
 *   read from `options.identityContext()` at that moment: after a token refresh, the fresh one.
 *   Credentials are never handed out for another identity context than the one they were issued
 *   for (another user signed in): the provider renews at once instead.
 * - One renewal in flight: concurrent calls share it.
 * - Errors by `extensions.code` (error-policy.ts), never a retry storm: retryable codes are retried
 *   with jittered backoff, and while the held credentials still work they are served meanwhile;
 *   any other code (a role the gateway refuses, an ended Identity Center session …) is final for
 *   that identity context: later calls get the same error without a request until it changes.
 */
import { requestOptionsOf } from "./client-options.js";
import { getValidCredentialsProviderSettings, type CredentialsProviderOptions } from "./credentials-provider-options.js";
import { actionForErrorCode, retryDelayMs } from "./error-policy.js";
import { executeOperation, GatewayRequestError } from "./gateway-request.js";
import { RenewCredentialsDocument, type AwsCredentialsSetFragment } from "./generated/graphql.js";
import { holdCredentials, type AwsSdkCredentials, type HeldCredentials } from "./held-credentials.js";
import { SignedOutError } from "./token-manager.js";

export interface CredentialsProvider {
  /** The current credentials, renewed first when they are within the skew of expiring. Rejects with SignedOutError or a GatewayRequestError. */
  (): Promise<AwsSdkCredentials>;
  /** Holds credentials obtained elsewhere (e.g. selected with the exchange: ExchangeTokenWithCredentials) for `identityContext`. */
  adopt(credentials: AwsCredentialsSetFragment, identityContext: string): void;
  /** Forgets the held credentials and any remembered failure (e.g. on sign-out). */
  clear(): void;
}

interface Failure {
  identityContext: string;
  error: GatewayRequestError;
  /** Caller's clock; undefined: final for this identity context. */
  retryAt: number | undefined;
}

export function createCredentialsProvider(options: CredentialsProviderOptions): CredentialsProvider {
  const settings = getValidCredentialsProviderSettings(options);
  const now = options.now ?? Date.now;
  let held: HeldCredentials | undefined;
  let failure: Failure | undefined;
  let consecutiveFailures = 0;
  let inFlight: { identityContext: string; promise: Promise<AwsSdkCredentials> } | undefined;

  const heldFor = (identityContext: string): HeldCredentials | undefined => (held?.identityContext === identityContext ? held : undefined);

  async function renew(identityContext: string): Promise<AwsSdkCredentials> {
    const input = {
      identityContext,
      ...(options.roleArn !== undefined ? { roleArn: options.roleArn } : {}),
      ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const data = await executeOperation(requestOptionsOf(options, settings.requestTimeoutMs), RenewCredentialsDocument, { input });
        held = holdCredentials(data.assumeRoleWithIdentityContext, identityContext, now(), settings.refreshSkewMs);
        failure = undefined;
        consecutiveFailures = 0;
        return held.credentials;
      } catch (error) {
        const cause = error instanceof GatewayRequestError ? error : new GatewayRequestError("INTERNAL_SERVER_ERROR", String(error), undefined);
        consecutiveFailures += 1;
        if (actionForErrorCode(cause.code) !== "retry") {
          failure = { identityContext, error: cause, retryAt: undefined };
          if (heldFor(identityContext)) held = undefined;
          throw cause;
        }
        const delayMs = retryDelayMs(cause.extensions, consecutiveFailures - 1, options.backoff);
        const usable = heldFor(identityContext);
        // Credentials that still work are worth more than a caller kept waiting: serve them, try again later.
        if (usable && now() < usable.expiresAt) {
          failure = { identityContext, error: cause, retryAt: now() + delayMs };
          return usable.credentials;
        }
        if (attempt >= settings.maxAttempts) {
          failure = { identityContext, error: cause, retryAt: now() + delayMs };
          throw cause;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  const provider = async (): Promise<AwsSdkCredentials> => {
    const identityContext = options.identityContext();
    if (!identityContext) {
      held = undefined;
      throw new SignedOutError();
    }
    // Another sign-in: the previous user's credentials are not kept, let alone handed out, and the
    // previous context's failures say nothing about this one.
    if (held !== undefined && held.identityContext !== identityContext) held = undefined;
    if (failure !== undefined && failure.identityContext !== identityContext) {
      failure = undefined;
      consecutiveFailures = 0;
    }
    const at = now();
    const current = held;
    if (current && at < current.renewAt) return current.credentials;
    if (failure !== undefined && (failure.retryAt === undefined || at < failure.retryAt)) {
      if (current && at < current.expiresAt) return current.credentials;
      throw failure.error;
    }
    if (inFlight?.identityContext !== identityContext) {
      const promise = renew(identityContext).finally(() => {
        if (inFlight?.promise === promise) inFlight = undefined;
      });
      inFlight = { identityContext, promise };
    }
    return inFlight.promise;
  };

  return Object.assign(provider, {
    adopt(credentials: AwsCredentialsSetFragment, identityContext: string): void {
      held = holdCredentials(credentials, identityContext, now(), settings.refreshSkewMs);
      if (failure?.identityContext === identityContext) failure = undefined;
      consecutiveFailures = 0;
    },
    clear(): void {
      held = undefined;
      failure = undefined;
      consecutiveFailures = 0;
    },
  });
}

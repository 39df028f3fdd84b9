/** createCredentialsProvider's options, their defaults, and their validation (messages restate the contract). */
import { checkEndpoint, withIntegerOptions, type GatewayClientOptions } from "./client-options.js";

const OWNER = "createCredentialsProvider";

/** Also `endpoint`, `fetch`, `headers`, `requestTimeoutMs`, `backoff`, `now` (client-options.ts); `maxAttempts` defaults to 3 here. */
export interface CredentialsProviderOptions extends GatewayClientOptions {
  /**
   * The signed-in user's identity context, read at every call (not once): give it the current token
   * set's, e.g. `() => tokens.tokens?.awsAdditionalDetails?.identityContext`, so renewals after a
   * token refresh or a new sign-in use the context that is current then. Nothing: signed out.
   */
  identityContext: () => string | null | undefined;
  /** One of the gateway's ALLOWED_ROLE_ARNS; omitted: its DEFAULT_ROLE_ARN. */
  roleArn?: string;
  /** Session length in seconds (900 to the gateway's CREDENTIALS_MAX_DURATION_SECONDS); omitted: the gateway's default. */
  durationSeconds?: number;
  /** Renew this many ms before `expiration` (default 300 000: five minutes, as the AWS SDK does). */
  refreshSkewMs?: number;
}

export const CREDENTIALS_PROVIDER_DEFAULTS = { refreshSkewMs: 300_000, requestTimeoutMs: 30_000, maxAttempts: 3 };

export type CredentialsProviderSettings = typeof CREDENTIALS_PROVIDER_DEFAULTS;

/** Options checked up front, with messages that restate the contract and show the bad value. */
export function getValidCredentialsProviderSettings(options: CredentialsProviderOptions): CredentialsProviderSettings {
  checkEndpoint(OWNER, options.endpoint);
  if (typeof options.identityContext !== "function") {
    throw new TypeError(`${OWNER}: identityContext must be a function returning the current token set's awsAdditionalDetails.identityContext, got ${typeof options.identityContext}`);
  }
  return withIntegerOptions(OWNER, CREDENTIALS_PROVIDER_DEFAULTS, options, { maxAttempts: 1 });
}

/**
 * Credentials a provider holds, and when to renew them. Pure: no I/O, the clock is passed in.
 *
 * Times are measured on the caller's clock from the gateway's `secondsRemaining` rather than by
 * comparing `expiration` with the browser's clock, which may be minutes off: the decision to renew
 * stays right on a machine whose clock is wrong. (`expiration` is still what the AWS SDK gets.)
 */
import type { AwsCredentialsSetFragment } from "./generated/graphql.js";

/** What the AWS SDK for JavaScript v3 takes as `credentials` (its AwsCredentialIdentity). */
export interface AwsSdkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface HeldCredentials {
  credentials: AwsSdkCredentials;
  /** The identity context they were issued for: never hand them out for another. */
  identityContext: string;
  /** When (caller's clock, epoch ms) to renew. */
  renewAt: number;
  /** When (caller's clock, epoch ms) they stop working. */
  expiresAt: number;
}

export function holdCredentials(fragment: AwsCredentialsSetFragment, identityContext: string, receivedAt: number, refreshSkewMs: number): HeldCredentials {
  const remainingMs = Math.max(0, fragment.secondsRemaining) * 1000;
  return {
    credentials: {
      accessKeyId: fragment.accessKeyId,
      secretAccessKey: fragment.secretAccessKey,
      sessionToken: fragment.sessionToken,
      expiration: new Date(fragment.expiration),
    },
    identityContext,
    // Ahead of expiration by the skew; but never sooner than half the remaining life, so a skew
    // longer than what the gateway hands out cannot turn every call into a renewal.
    renewAt: receivedAt + Math.max(remainingMs - refreshSkewMs, remainingMs / 2),
    expiresAt: receivedAt + remainingMs,
  };
}

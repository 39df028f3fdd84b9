/**
 * Expiry arithmetic for an issued token. Pure: `now` is always passed in, so the same
 * response gives the same `expiresAt` on every read and tests need no fake clocks.
 */

export interface ExpirySource {
  /** Epoch milliseconds at which the response was issued (received from AWS). */
  issuedAt: number;
  /** Lifetime in seconds as AWS returned it; absent when AWS did not say. */
  expiresIn?: number | null;
}

function hasKnownLifetime(token: ExpirySource): token is ExpirySource & { expiresIn: number } {
  return typeof token.expiresIn === "number" && Number.isFinite(token.expiresIn);
}

/** issuedAt + expiresIn seconds; null when expiresIn is missing (the expiry is unknown, not "never"). */
export function computeExpiresAt(token: ExpirySource): Date | null {
  if (!hasKnownLifetime(token)) return null;
  const expiresAt = new Date(token.issuedAt + token.expiresIn * 1000);
  return Number.isNaN(expiresAt.getTime()) ? null : expiresAt;
}

/**
 * Whole seconds left until expiry at `now`, rounded down and clamped at 0; null when the
 * expiry is unknown. Rounded down so a client that waits this long is never early.
 */
export function computeSecondsRemaining(token: ExpirySource, now: number): number | null {
  const expiresAt = computeExpiresAt(token);
  if (expiresAt === null) return null;
  return Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000));
}

/**
 * True once `now` has reached the expiry. An unknown expiry is reported as not expired:
 * the gateway cannot know better than AWS, which did not say.
 */
export function computeIsExpired(token: ExpirySource, now: number): boolean {
  const expiresAt = computeExpiresAt(token);
  return expiresAt !== null && now >= expiresAt.getTime();
}

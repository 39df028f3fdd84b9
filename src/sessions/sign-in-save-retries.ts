import { isGatewayError } from "../errors/error-codes.js";

/**
 * How long a sign-in writes its new session again when the store fails after the exchange (a Redis
 * failover or blip between the pre-exchange probe and the write): 100 ms, then doubling, ~3.9 s in all.
 * The exchange has spent the caller's grant (a code, a refresh token), so giving up at the first
 * failure lost it. Retried within the request, before anyone holds the new session's id, so no
 * sign-out or later sign-in can be undone by the write (an attacker's review of a deferred save, kept
 * in memory past the answer, revived signed-out sessions and displaced newer ones). An outage longer
 * than this still answers SESSION_STORE_UNAVAILABLE.
 */
export const SIGN_IN_SAVE_RETRY_DELAYS_MS: readonly number[] = [100, 200, 400, 1_000, 2_200];

/** Runs `save`, again after each delay while the store is unavailable; the last failure is thrown. */
export async function saveWithRetries<T>(save: () => Promise<T>, delaysMs: readonly number[] = SIGN_IN_SAVE_RETRY_DELAYS_MS): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await save();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isGatewayError(error) || error.code !== "SESSION_STORE_UNAVAILABLE") throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

import type { GatewayError } from "../errors/error-codes.js";
import { withCallPolicy } from "./call-policy.js";

export interface CallBounds {
  /** false: retried only after throttling (single-use grants). */
  replayable: boolean;
  /** One HTTP attempt's timeout, ms. */
  attemptTimeoutMs: number;
  /** The whole call, every attempt and back-off included, ms. */
  totalMs: number;
  /** The rejection once `totalMs` has passed (an UPSTREAM_UNAVAILABLE). */
  expired: () => GatewayError;
}

/**
 * Runs one SDK call within `bounds`. At `totalMs` the call rejects with `expired()` and its signal
 * aborts: the handler destroys the in-flight request, and the retry strategy starts no further
 * attempt (a back-off wait that is running ends in an immediate abort, without a request).
 */
export async function callWithin<T>(bounds: CallBounds, send: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = bounds.expired();
      controller.abort(error);
      reject(error);
    }, bounds.totalMs);
  });
  const sent = withCallPolicy({ replayable: bounds.replayable, attemptTimeoutMs: bounds.attemptTimeoutMs, signal: controller.signal }, send);
  try {
    return await Promise.race([sent, expired]);
  } catch (error) {
    throw controller.signal.aborted ? (controller.signal.reason as GatewayError) : error;
  } finally {
    clearTimeout(timer);
    // After the deadline the aborted attempt still rejects (AbortError): already answered, nothing to report.
    sent.catch(() => undefined);
  }
}

/**
 * Settles like `answer`, but rejects with `slow()` if `answer` has not settled within `ms`: what the
 * circuit breaker sees of a single-use call, which itself keeps waiting for AWS's answer.
 */
export function settlesWithin<T>(answer: Promise<T>, ms: number, slow: () => GatewayError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(slow()), ms);
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

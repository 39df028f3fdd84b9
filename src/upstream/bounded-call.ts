import type { GatewayError } from "../errors/error-codes.js";

export interface CallBounds {
  /** false: retried only after throttling (single-use grants): sent by the client made for them. */
  replayable: boolean;
  /** One HTTP attempt's timeout, ms. */
  attemptTimeoutMs: number;
  /** The whole call, every attempt and back-off included, ms. */
  totalMs: number;
  /** The rejection once `totalMs` has passed (an UPSTREAM_UNAVAILABLE). */
  expired: () => GatewayError;
}

/**
 * A call's own options: one attempt's timeout and the signal that ends the whole call. The SDK's Node
 * handler honours both (it cuts each attempt at `requestTimeout` and destroys the in-flight request
 * on abort); they reach it by the call's request, not as `send` options (call-options.ts says why),
 * and no attempt starts after the signal aborted.
 *
 * Why not async context (AsyncLocalStorage, used here before): on Node 20 the first `run()` turns on
 * promise hooks for the whole process, for good, and every promise of every request paid for them
 * (~50 µs of CPU per cache hit, bench/profile.ts).
 */
export interface SendOptions {
  abortSignal: CallSignal;
  requestTimeout: number;
}

/**
 * The signal that ends a call, in the shape the SDK's Node handler also accepts (`aborted`, `reason`,
 * and an `onabort` it sets for the attempt in flight: @smithy/node-http-handler uses `onabort` when
 * the signal has no addEventListener). Hand-written instead of an AbortController because the DOM
 * one is an EventTarget: creating it, and the handler adding and removing its listener on every
 * attempt, cost each upstream call ~10 µs of CPU (bench/profile-diff.ts), for a signal that almost
 * never fires. One listener at a time is all the handler needs: attempts run one after another.
 */
export class CallSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: (() => void) | null = null;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.onabort?.();
  }
}

/**
 * Runs one SDK call within `bounds`. At `totalMs` the call rejects with `expired()` and its signal
 * aborts (see SendOptions).
 */
export async function callWithin<T>(bounds: CallBounds, send: (options: SendOptions) => Promise<T>): Promise<T> {
  const signal = new CallSignal();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = bounds.expired();
      signal.abort(error);
      reject(error);
    }, bounds.totalMs);
  });
  let sent: Promise<T> | undefined;
  try {
    // Inside the try: a send that throws at once still clears the deadline's timer.
    sent = send({ abortSignal: signal, requestTimeout: bounds.attemptTimeoutMs });
    return await Promise.race([sent, expired]);
  } catch (error) {
    throw signal.aborted ? (signal.reason as GatewayError) : error;
  } finally {
    clearTimeout(timer);
    // After the deadline the aborted attempt still rejects (AbortError): already answered, nothing to report.
    sent?.catch(() => undefined);
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

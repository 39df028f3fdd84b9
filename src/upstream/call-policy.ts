import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What one CreateTokenWithIAM call allows: whether it may be sent twice, how long one HTTP attempt
 * may wait, and the signal that ends the whole call. The SDK's retry strategy and HTTP handler are
 * per client, not per request, so the policy travels in async context from `createTokenWithIAM`
 * down to them (replay-guard.ts, http-handler.ts).
 *
 * Why not `client.send(command, { abortSignal, requestTimeout })`: any send options turn off the
 * client's `cacheMiddleware` (smithy's Client.send caches only when `options === undefined`), which
 * costs ~50 µs of CPU per call. The same two documented options of the handler's
 * `handle(request, { abortSignal, requestTimeout })` are passed one level down instead.
 */
export interface CallPolicy {
  /** false for single-use grants (authorization code, refresh token): retried only after throttling. */
  replayable: boolean;
  /** One HTTP attempt's timeout, ms (the handler's `requestTimeout`). */
  attemptTimeoutMs: number;
  /** Aborted when the whole call's time is up: the in-flight attempt is destroyed and no retry starts. */
  signal: AbortSignal;
}

const callPolicy = new AsyncLocalStorage<CallPolicy>();

/** Runs `send` (one SDK call) under `policy`. */
export function withCallPolicy<T>(policy: CallPolicy, send: () => Promise<T>): Promise<T> {
  return callPolicy.run(policy, send);
}

/** The policy of the call being made, or undefined outside `withCallPolicy` (the SDK's defaults apply). */
export function currentCallPolicy(): CallPolicy | undefined {
  return callPolicy.getStore();
}

import type { Keyspace } from "../store/keyspace.js";
import type { Store, StoreLogger } from "../store/store.types.js";
import type { SharedError } from "./shared-error.js";

export interface SingleFlightOptions {
  /** Where locks and results live: the resilient Redis store for many replicas, a memory store for one. */
  store: Store;
  keyspace: Keyspace;
  /**
   * How long the lock outlives its leader: a live leader extends it every third of this (a
   * heartbeat), so its own store writes, however slow, never let a second leader start; a leader
   * that died stops extending, and a follower takes over once this passes with no result.
   */
  lockTtlMs: number;
  /** The longest a leader keeps extending its lock (a leader stuck past it lets a follower take over). Default 2 × lockTtlMs. */
  maxLockHoldMs?: number;
  /** How long a follower waits, in total, for a result before failing with UPSTREAM_UNAVAILABLE. */
  waitTimeoutMs: number;
  /** How long a successful result stays readable: identical calls arriving this soon after the leader finished reuse it. Default 5000. */
  resultTtlMs?: number;
  /**
   * False: a result is handed only to the calls that joined the flight while it ran; a call arriving
   * after the flight finished runs fn again even if the result is still stored (single-use grants such
   * as authorization codes: never replayed). Default true.
   */
  reuseFinishedResults?: boolean;
  /** Same for a handed-off error; short, so a retry soon after gets a fresh attempt. Default 1000. */
  errorTtlMs?: number;
  /** Followers re-check the result and the lock this often: the safety net for a missed publish. Default 50. */
  pollIntervalMs?: number;
  logger?: StoreLogger;
}

/** How a result crosses processes. `encode`/`decode` must round-trip; the bytes are sealed (AES-256-GCM) before they are stored. */
export interface SingleFlightCodec<T> {
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
  /** Which of the leader's errors followers receive instead of calling fn themselves; undefined = not shared (the lock is released and one follower runs fn). Default: shareGatewayError. */
  shareError?(error: unknown): SharedError | undefined;
  /** The error a follower throws for a shared one. Default: restoreGatewayError (a GatewayError with the same code, message, details). */
  restoreError?(shared: SharedError): Error;
}

export interface SingleFlightResult<T> {
  value: T;
  /** "leader": this call ran fn. "follower": it received another call's result (in this process or another). */
  role: "leader" | "follower";
}

/**
 * Where the caller keeps fn's value beyond the flight (e.g. a response cache shared by replicas).
 * Given, the flight re-reads it when it takes the lock and writes it before the lock is released,
 * so these steps share the lock's round trips instead of adding their own.
 */
export interface FlightSteps<T> {
  /**
   * The value an identical call that already finished may have left (another replica may have
   * finished between the caller's own lookup and the lock), or undefined. Read once this call
   * holds the lock; a value found is the flight's result and fn is not called. On an ordered store
   * it is read in the lock's round trip, and a call that did not get the lock but finds a value
   * returns it at once instead of waiting. Must not reject (a failed read is a miss).
   */
  recheck?: () => Promise<T | undefined>;
  /**
   * Stores fn's value where `recheck` finds it. Sent before the hand-off and the lock's release (on
   * an ordered store in their round trip), never for a value `recheck` found. Must not reject
   * (a failed write is logged by the caller); a rejection is logged here and ignored.
   */
  keep?: (value: T) => Promise<void>;
  /**
   * Given fn's failure, work it left unfinished that other callers must wait for (a session's rotation
   * the store failed to take, saved later from this process's memory): the lock stays this leader's,
   * extended (up to maxLockHoldMs), until the returned promise settles, while the caller gets its
   * failure at once. Released at once, other replicas' calls led anew from what the work had not
   * written yet (a review signed a user out that way). Undefined: released now.
   */
  holdAfterFailure?: (error: unknown) => Promise<unknown> | undefined;
}

export interface SingleFlight {
  /**
   * Runs `fn` once for all concurrent calls with the same `key`, across every process sharing the
   * store. `key` identifies the work (e.g. a request fingerprint); it is only ever used through
   * the keyspace's HMAC, so it may contain secret input. A leader's error is thrown to every waiter.
   */
  run<T>(key: string, fn: () => Promise<T>, codec: SingleFlightCodec<T>, steps?: FlightSteps<T>): Promise<SingleFlightResult<T>>;
}

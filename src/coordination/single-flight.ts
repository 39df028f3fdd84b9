import { GatewayError } from "../errors/error-codes.js";
import { pooledRandomBytes } from "../store/pooled-random.js";
import { describeError } from "../store/store-options.js";
import { restoreGatewayError, shareGatewayError, type SharedError } from "./shared-error.js";
import { getValidSingleFlightOptions } from "./single-flight-options.js";
import type { FlightSteps, SingleFlight, SingleFlightCodec, SingleFlightOptions, SingleFlightResult } from "./single-flight.types.js";

export type * from "./single-flight.types.js";

const VALUE = 1;
const ERROR = 2;
const DONE = Buffer.from("done");

interface FlightKeys {
  lock: string;
  result: string;
  channel: string;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export function createSingleFlight(options: SingleFlightOptions): SingleFlight {
  const settings = getValidSingleFlightOptions(options);
  const { store, keyspace, logger } = settings;
  // Same-process callers share one promise: they never touch the store at all.
  const inFlight = new Map<string, Promise<SingleFlightResult<unknown>>>();

  async function coordinate<T>(keys: FlightKeys, fn: () => Promise<T>, codec: SingleFlightCodec<T>, steps: FlightSteps<T>): Promise<SingleFlightResult<T>> {
    const deadline = Date.now() + settings.waitTimeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      const owner = pooledRandomBytes(16);
      const taking = store.setIfAbsent(keys.lock, owner, settings.lockTtlMs);
      // Sent right behind the lock (one round trip): on an ordered store it reads what was there
      // once the lock was taken, exactly as a read after the lock's answer would.
      const early = store.ordered ? steps.recheck?.() : undefined;
      if (await taking.catch((error: unknown) => abandon(early, error))) {
        if (attempt > 0) logger.warn({ lockTtlMs: settings.lockTtlMs }, "single-flight: the lock was freed without a result (leader gone, or its error not shared); taking over");
        return lead(keys, owner, fn, codec, steps, early ?? steps.recheck?.());
      }
      const found = await early;
      if (found !== undefined) return { value: found, role: "follower" };
      const envelope = await follow(keys, deadline);
      if (envelope) return settle(envelope, codec);
      // The lock is gone and no result was left: loop, and one waiter becomes the new leader.
    }
  }

  /** The lock could not be taken: the read sent with it is dropped (its outcome unobserved), the error goes on. */
  function abandon(early: Promise<unknown> | undefined, error: unknown): never {
    early?.catch(() => undefined);
    throw error;
  }

  /**
   * The lock is this call's: the value `recheck` found, or fn's, handed to followers. On an
   * ordered store the writes (keep, hand-off, release, publish) go out together, in that order: a
   * follower woken by the publish, or a caller that finds the lock free, finds the value already
   * stored. Otherwise (a Cluster: keys on different nodes) each waits for the one before.
   */
  async function lead<T>(keys: FlightKeys, owner: Buffer, fn: () => Promise<T>, codec: SingleFlightCodec<T>, steps: FlightSteps<T>, recheck: Promise<T | undefined> | undefined): Promise<SingleFlightResult<T>> {
    let outcome: Outcome<T> | undefined;
    let held: Promise<unknown> | undefined;
    const heartbeat = keepLockAlive(keys.lock, owner);
    const writes: Array<Promise<void>> = [];
    const release = async (): Promise<void> => {
      heartbeat.stop();
      // Behind the writes above: a woken follower reads the result before it looks at the lock, so
      // the release and the publish need no order between them.
      await Promise.all([
        ...writes,
        store.deleteIfEquals(keys.lock, owner).catch((error: unknown) => warnStoreFailure("release the lock", error)),
        store.publish(keys.channel, DONE).catch((error: unknown) => warnStoreFailure("publish the result", error)),
      ]);
    };
    try {
      // A leader that finished moments ago may have left its result: reuse it rather than call again.
      const recent = settings.reuseFinishedResults ? await store.get(keys.result) : null;
      if (recent) return settle(keyspace.open(keys.result, recent), codec);
      const found = await recheck;
      // Promise.resolve().then: a synchronous throw in fn is an outcome too, not a crash of the flight.
      const settled: Outcome<T> = found !== undefined ? { ok: true, value: found } : await Promise.resolve().then(fn).then(
        (value): Outcome<T> => ({ ok: true, value }),
        (error: unknown): Outcome<T> => ({ ok: false, error }),
      );
      outcome = settled;
      if (!settled.ok) held = steps.holdAfterFailure?.(settled.error);
      const { keep } = steps;
      const sends: Array<() => Promise<void>> = [];
      if (keep && settled.ok && found === undefined) sends.push(() => keepValue(keep, settled.value));
      sends.push(() => handOff(keys, settled, codec));
      for (const send of sends) {
        if (store.ordered) writes.push(send());
        else await send();
      }
    } finally {
      if (held === undefined) await release();
      else void held.then(release, release).catch(() => undefined);
    }
    if (!outcome.ok) throw outcome.error;
    return { value: outcome.value, role: "leader" };
  }

  async function keepValue<T>(keep: (value: T) => Promise<void>, value: T): Promise<void> {
    try {
      await keep(value);
    } catch (error) {
      warnStoreFailure("keep the result", error);
    }
  }

  /**
   * Extends the leader's lock every third of its TTL until stopped (the flight settled), the lock
   * is no longer this leader's (lost: expired, or Redis dropped it), or maxLockHoldMs has passed
   * since it was taken. One extension at a time: a slow store delays the next, never piles them up.
   */
  function keepLockAlive(lock: string, owner: Buffer): { stop(): void } {
    const holdUntil = Date.now() + settings.maxLockHoldMs;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const schedule = (): void => {
      if (stopped) return;
      timer = setTimeout(beat, Math.max(1, Math.floor(settings.lockTtlMs / 3)));
      timer.unref();
    };
    const beat = (): void => {
      // Never past the longest hold: the last extension ends the lock exactly there.
      const ttlMs = Math.min(settings.lockTtlMs, holdUntil - Date.now());
      if (stopped || ttlMs <= 0) return;
      const last = ttlMs < settings.lockTtlMs;
      store.extendIfEquals(lock, owner, ttlMs).then(
        (held) => {
          if (held) return last ? undefined : schedule();
          if (!stopped) logger.warn({ lockTtlMs: settings.lockTtlMs }, "single-flight: the lock was lost while its leader worked (expired or dropped by the store); another leader may start");
        },
        (error: unknown) => {
          warnStoreFailure("extend the lock", error);
          schedule();
        },
      );
    };
    schedule();
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  async function handOff<T>(keys: FlightKeys, outcome: Outcome<T>, codec: SingleFlightCodec<T>): Promise<void> {
    try {
      let envelope: Buffer | undefined;
      let ttlMs = settings.resultTtlMs;
      if (outcome.ok) {
        envelope = Buffer.concat([Buffer.from([VALUE]), codec.encode(outcome.value)]);
      } else {
        const shared = (codec.shareError ?? shareGatewayError)(outcome.error);
        if (shared) envelope = Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(shared))]);
        ttlMs = settings.errorTtlMs;
      }
      if (envelope) await store.set(keys.result, keyspace.seal(keys.result, envelope), ttlMs);
    } catch (error) {
      // The leader's own caller still gets its outcome; followers see the lock freed and retry.
      warnStoreFailure("hand off the result", error);
    }
  }

  /** Waits for the leader's result (null when the lock was freed without one). */
  async function follow(keys: FlightKeys, deadline: number): Promise<Buffer | null> {
    let signalled = false;
    let wake = () => {};
    const unsubscribe = await store.subscribe(keys.channel, () => {
      signalled = true;
      wake();
    });
    try {
      for (;;) {
        signalled = false;
        const sealed = await store.get(keys.result);
        if (sealed) return keyspace.open(keys.result, sealed);
        if ((await store.get(keys.lock)) === null) {
          // The leader stores its result before it releases the lock, and both may have landed
          // between the two reads above: read the result once more before calling the lock abandoned.
          const late = await store.get(keys.result);
          return late ? keyspace.open(keys.result, late) : null;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          throw new GatewayError("UPSTREAM_UNAVAILABLE", "Timed out waiting for an identical request in flight to finish.");
        }
        if (signalled) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(settings.pollIntervalMs, remaining));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = () => {};
      }
    } finally {
      await unsubscribe().catch(() => undefined);
    }
  }

  function settle<T>(envelope: Buffer, codec: SingleFlightCodec<T>): SingleFlightResult<T> {
    const body = envelope.subarray(1);
    if (envelope[0] === VALUE) return { value: codec.decode(body), role: "follower" };
    const shared = JSON.parse(body.toString("utf8")) as SharedError;
    throw (codec.restoreError ?? restoreGatewayError)(shared);
  }

  function warnStoreFailure(action: string, error: unknown): void {
    // One line, at most 200 characters (describeError): a store error's later lines may carry what was sent.
    logger.warn({ reason: describeError(error) }, `single-flight: could not ${action}`);
  }

  return {
    run<T>(key: string, fn: () => Promise<T>, codec: SingleFlightCodec<T>, steps: FlightSteps<T> = {}): Promise<SingleFlightResult<T>> {
      if (typeof key !== "string" || key.length === 0) throw new TypeError("singleFlight.run: key must be a non-empty string");
      const keys: FlightKeys = {
        lock: keyspace.key("sf-lock", key),
        result: keyspace.key("sf-result", key),
        channel: keyspace.key("sf-done", key),
      };
      const joined = inFlight.get(keys.result) as Promise<SingleFlightResult<T>> | undefined;
      if (joined) return joined.then(({ value }) => ({ value, role: "follower" }));
      const flight = coordinate(keys, fn, codec, steps).finally(() => inFlight.delete(keys.result));
      inFlight.set(keys.result, flight);
      return flight;
    },
  };
}

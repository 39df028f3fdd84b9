import type { FlightSteps, SingleFlight, SingleFlightResult } from "./single-flight.js";

/**
 * Single-flight for one process (the memory store: no replica shares its state). Concurrent
 * calls with the same key share one promise; once it settles the key is free again, so a later
 * call runs fn anew (the same hand-off as the store-backed flight with reuseFinishedResults
 * false). With no other process to coordinate with, the store-backed lock, sealed result,
 * publish and three key HMACs per flight would only cost time: none of them run here.
 * `key` never leaves this map (it is already a keyed fingerprint; nothing is logged or stored).
 */
export function createLocalSingleFlight(): SingleFlight {
  const inFlight = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, fn: () => Promise<T>, _codec?: unknown, steps: FlightSteps<T> = {}): Promise<SingleFlightResult<T>> {
      if (typeof key !== "string" || key.length === 0) throw new TypeError("singleFlight.run: key must be a non-empty string");
      const joined = inFlight.get(key) as Promise<T> | undefined;
      if (joined) return joined.then((value) => ({ value, role: "follower" }));
      // Promise.resolve().then: a synchronous throw in fn is the flight's outcome too (every waiter gets it).
      const flight = Promise.resolve().then(() => lead(fn, steps));
      inFlight.set(key, flight);
      const release = () => {
        inFlight.delete(key);
      };
      flight.then(release, release);
      return flight.then((value) => ({ value, role: "leader" }));
    },
  };
}

/** The store-backed flight's steps, in its order: recheck, else fn and keep (whose failure is never the flight's). */
async function lead<T>(fn: () => Promise<T>, steps: FlightSteps<T>): Promise<T> {
  const found = await steps.recheck?.();
  if (found !== undefined) return found;
  const value = await fn();
  await steps.keep?.(value).catch(() => undefined);
  return value;
}

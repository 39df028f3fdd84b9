import type { Store, StoreLogger } from "../../../src/store/store.types.js";

/** One logged line as a test sees it: level, fields and message. */
export interface LoggedLine {
  level: keyof StoreLogger;
  fields: Record<string, unknown>;
  message: string;
}

/** A StoreLogger that keeps every line, for tests that assert what an operator is told. */
export function recordingStoreLogger(): StoreLogger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at = (level: keyof StoreLogger) => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * The real store with chosen methods failing the way Redis does when it is down (a rejection
 * whose message has a second line the logs must not carry).
 */
export function storeFailing(store: Store, methods: ReadonlyArray<keyof Store>, message = "redis down: ECONNREFUSED\n    at stack line"): Store {
  const failing: Partial<Record<keyof Store, unknown>> = {};
  for (const method of methods) failing[method] = async () => Promise.reject(new Error(message));
  return Object.assign(Object.create(store) as Store, failing);
}

/** The real store, noting the TTL of every `set`, for tests that pin how long something is kept. */
export function storeRecordingTtls(store: Store): { store: Store; ttls: number[] } {
  const ttls: number[] = [];
  const set: Store["set"] = async (key, value, ttlMs) => {
    ttls.push(ttlMs);
    return store.set(key, value, ttlMs);
  };
  return { store: Object.assign(Object.create(store) as Store, { set }), ttls };
}

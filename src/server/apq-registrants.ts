import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../schema/context.js";
import { BoundedLru } from "../store/bounded-lru.js";

/** Registrations in flight remembered at once; one more is not stored (see registrantOf). */
const REGISTRATIONS_TRACKED = 10_000;
/** A backstop: a request whose willSendResponse never ran leaves its entry this long at most. */
const REGISTRATION_TRACKED_MS = 60_000;
/** Apollo registers a document only when its sha256Hash is the document's own: 64 lowercase hex digits. */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Who is registering which persisted query right now, so that the table can charge the document
 * to its caller (APQ_MAX_ENTRIES_PER_CALLER, apq-cache.ts). Apollo calls the cache's `set(key,
 * document)` without the request; this plugin records the caller of each request that carries a
 * document with a persistedQuery extension (a registration), under Apollo's cache key
 * ("apq:" + hash), until its response is sent. Apollo calls `set` during that request.
 */
export interface PersistedQueryRegistrants {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** The caller whose request is registering `key` now; undefined when none is known (not stored then). */
  registrantOf(key: string): string | undefined;
}

export function createPersistedQueryRegistrants(): PersistedQueryRegistrants {
  const registrants = new BoundedLru<string>({ maxEntries: REGISTRATIONS_TRACKED, maxSize: REGISTRATIONS_TRACKED, sizeOf: () => 1 });
  return {
    plugin: {
      async requestDidStart({ request, contextValue }) {
        // Every request passes here: anything but a registration returns at once, with no listener.
        const persistedQuery: unknown = request.extensions?.persistedQuery;
        if (request.query === undefined || typeof persistedQuery !== "object" || persistedQuery === null) return;
        const hash = (persistedQuery as { sha256Hash?: unknown }).sha256Hash;
        if (typeof hash !== "string" || !SHA256_HEX.test(hash)) return;
        const key = `apq:${hash}`;
        const caller = contextValue.caller.address;
        registrants.set(key, caller, { ttlMs: REGISTRATION_TRACKED_MS });
        return {
          async willSendResponse() {
            // Two callers may register one document at once: the later one's entry stays until its own response.
            if (registrants.get(key) === caller) registrants.delete(key);
          },
        };
      },
    },
    registrantOf: (key) => registrants.get(key),
  };
}

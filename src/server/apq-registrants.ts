import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../schema/context.js";
import { BoundedLru } from "../store/bounded-lru.js";

/** Hashes being registered remembered at once; past it the least recent is forgotten and its document not stored (registrantsOf). */
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
 *
 * Every caller registering a key is kept, with a count: with one caller a key, another caller's
 * request for the same hash (even one whose document does not match it, refused with 400)
 * overwrote or removed the entry between the registrant's start and its `set`, and the
 * registrant's document went unstored (an attacker's review: 9 in 100 on Redis).
 */
export interface PersistedQueryRegistrants {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** The callers whose requests are registering `key` now, earliest first; empty when none is known (not stored then). */
  registrantsOf(key: string): readonly string[];
}

export function createPersistedQueryRegistrants(): PersistedQueryRegistrants {
  // Per key: each registering caller and how many of its requests are in flight.
  const registrants = new BoundedLru<Map<string, number>>({ maxEntries: REGISTRATIONS_TRACKED, maxSize: REGISTRATIONS_TRACKED, sizeOf: () => 1 });
  const add = (key: string, caller: string) => {
    const callers = registrants.get(key) ?? new Map<string, number>();
    callers.set(caller, (callers.get(caller) ?? 0) + 1);
    registrants.set(key, callers, { ttlMs: REGISTRATION_TRACKED_MS });
  };
  const remove = (key: string, caller: string) => {
    const callers = registrants.get(key);
    const count = callers?.get(caller);
    if (callers === undefined || count === undefined) return;
    if (count > 1) callers.set(caller, count - 1);
    else callers.delete(caller);
    if (callers.size === 0) registrants.delete(key);
  };
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
        add(key, caller);
        return {
          async willSendResponse() {
            remove(key, caller);
          },
        };
      },
    },
    registrantsOf: (key) => [...(registrants.get(key)?.keys() ?? [])],
  };
}

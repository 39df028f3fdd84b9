import type { ApolloServerPlugin } from "@apollo/server";

/** A header Apollo's cache-control plugin would treat as a cacheable policy (and then restrict to max-age 0). */
const CACHEABLE_HEADER = /^max-age=(\d+), (public|private)$/;

/**
 * Every GraphQL answer carries tokens or gateway state: `cache-control: no-store`, always. This is
 * what Apollo's default cache-control plugin answers for this schema (no @cacheControl hints, so
 * max-age 0: never cacheable), without its per-field willResolveField hook, which made Apollo wrap
 * and instrument every resolver of every request (it is disabled in gateway-server.ts).
 */
export function createNoStorePlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const existing = response.http.headers.get("cache-control");
          // Like Apollo's plugin: a header it cannot parse is left alone; any other ends up no-store.
          if (existing === undefined || existing === "no-store" || CACHEABLE_HEADER.test(existing)) {
            response.http.headers.set("cache-control", "no-store");
          }
        },
      };
    },
  };
}

import type { CarryPolicy } from "../store/index.js";
import { KEY_NAMESPACE } from "../store/keyspace.js";

const OVERWRITE: CarryPolicy = { replay: "overwrite" };
const IF_ABSENT: CarryPolicy = { replay: "if-absent" };

/**
 * The token state whose outage writes must reach Redis once it is back (the resilient store's
 * carry-over), and how each is replayed over what another replica may have written since its own
 * recovery. Left out: single-flight hand-offs (they outlive no call) and locks taken during the outage, cached credentials
 * (STS makes them again) and persisted queries (a client sends the document again).
 */
const CARRIED: ReadonlyMap<string, CarryPolicy> = new Map([
  // Reuse detection. A revocation and a sign-out-everywhere mark are kept apart from the rest and never
  // pushed out of the list by it; the greater of two marks stays.
  ["refresh-family-revoked", { replay: "overwrite", priority: true }],
  ["identity-user-out", { replay: "greatest", priority: true }],
  // A node that gained its successor during the outage replaces the one Redis holds without it.
  ["refresh-node", OVERWRITE],
  ["access-family", OVERWRITE],
  // An identity context recorded during the outage could not read its first record (time of sign-in) from Redis:
  // Redis's copy stays (a review: the replay overwrote it with the outage's later time, outrunning a sign-out
  // everywhere); a forgotten one stays forgotten (DEL). A refresh after the outage records the new tokens' life.
  ["identity-context", IF_ABSENT],
  // Answers AWS gave during the outage (a rotated refresh token's successor, a single-use grant's late
  // answer, cached answers), and the removals that took or dropped them: an answer written since the
  // recovery is newer and stays.
  ["refresh-successor", IF_ABSENT],
  ["late-code-answer", IF_ABSENT],
  ["token-cache", IF_ABSENT],
  ["token-cache-link", IF_ABSENT],
  // A flight's lock taken on Redis and released during the outage (its holder lost Redis after AWS answered): released
  // on Redis once back, after the rest. Left there, another replica's call waiting on it (a second tab's refresh) waited
  // out its TTL, past the grace window, and then met the rotated token (a review).
  ["sf-lock", { replay: "release" }],
]);

const PREFIX = `${KEY_NAMESPACE}:`;

/** How a key's (keyspace.key) writes are carried over to Redis after an outage; undefined: they stay in process memory. */
export function carriedThroughOutage(key: string): CarryPolicy | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const end = key.indexOf(":", PREFIX.length);
  return end === -1 ? undefined : CARRIED.get(key.slice(PREFIX.length, end));
}

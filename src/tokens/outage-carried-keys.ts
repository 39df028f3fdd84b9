import { KEY_NAMESPACE } from "../store/keyspace.js";

/**
 * The token state whose outage writes must reach Redis once it is back (the resilient store's
 * carry-over): what the gateway decided on its own while it served from process memory, and what
 * other replicas must then see. Left out: single-flight locks and hand-offs (they outlive no call)
 * and persisted queries (a client sends the document again).
 */
const CARRIED_PURPOSES: ReadonlySet<string> = new Set([
  // Reuse detection: a family revoked during the outage stays revoked; the rotations it saw stay linked.
  "refresh-family-revoked",
  "refresh-node",
  "access-family",
  // An identity context forgotten at sign-out stays forgotten (Redis still holds the copy from before).
  "identity-context",
  "identity-user-out",
  // Answers AWS gave during the outage: a rotated refresh token's successor (the grace window), a code's
  // undelivered answer (taken once), and cached answers with the rotations that dropped older ones.
  "refresh-successor",
  "late-code-answer",
  "token-cache",
  "token-cache-link",
]);

const PREFIX = `${KEY_NAMESPACE}:`;

/** True for a key (keyspace.key) whose writes the store carries over to Redis after an outage. */
export function carriedThroughOutage(key: string): boolean {
  if (!key.startsWith(PREFIX)) return false;
  const end = key.indexOf(":", PREFIX.length);
  return end !== -1 && CARRIED_PURPOSES.has(key.slice(PREFIX.length, end));
}

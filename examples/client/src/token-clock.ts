/**
 * When a token set is due for a refresh, on the browser's clock. Pure: the clock is passed in.
 *
 * The browser's clock may be far off the gateway's (a laptop in the wrong time zone is hours off),
 * and `expiresAt` is on the gateway's. Compared with `Date.now()` as is, a clock that is ahead makes
 * every fresh set look expired (a refresh loop as fast as the network), one that is behind hands
 * out expired tokens. So the manager learns the offset from each set the gateway has just answered:
 * `secondsRemaining` counted from receipt is the expiry on the browser's clock (the credentials
 * provider does the same, held-credentials.ts). The session client does likewise with its sessions.
 */
import type { TokenSetFragment } from "./generated/graphql.js";

/** Browser clock minus gateway clock (ms), from a token set or session received at `receivedAt`; undefined when it cannot tell. */
export function clockOffsetOf(tokens: { expiresAt: string | null; secondsRemaining: number | null }, receivedAt: number): number | undefined {
  const expiresAt = tokens.expiresAt === null ? NaN : Date.parse(tokens.expiresAt);
  // 0 is also what an already expired set says, however long ago it expired: nothing to learn from.
  if (typeof tokens.secondsRemaining !== "number" || tokens.secondsRemaining <= 0 || Number.isNaN(expiresAt)) return undefined;
  return receivedAt + tokens.secondsRemaining * 1000 - expiresAt;
}

/**
 * When (browser clock, epoch ms) to refresh: `refreshSkewMs` before the expiry, but never sooner
 * than half the set's life, so a skew longer than the lifetime the gateway hands out cannot turn
 * every set into an immediate refresh. Undefined: no known expiry, never due.
 */
export function refreshDueAt(tokens: TokenSetFragment, clockOffsetMs: number, refreshSkewMs: number): number | undefined {
  const expiresAt = tokens.expiresAt === null ? NaN : Date.parse(tokens.expiresAt);
  if (Number.isNaN(expiresAt)) return undefined;
  const issuedAt = Date.parse(tokens.issuedAt);
  const halfLife = Number.isNaN(issuedAt) ? 0 : Math.max(0, expiresAt - issuedAt) / 2;
  return Math.max(expiresAt - refreshSkewMs, expiresAt - halfLife) + clockOffsetMs;
}

/**
 * The session client's due time (browser clock) for a session expiring at `expiresAt` (gateway
 * clock): `refreshSkewMs` before, but never sooner than half the time left at `now` (a session
 * carries no issue time), so a skew longer than the lifetime cannot make every refresh immediate.
 */
export function sessionRefreshDueAt(expiresAt: string, clockOffsetMs: number, refreshSkewMs: number, now: number): number | undefined {
  const expires = Date.parse(expiresAt);
  if (Number.isNaN(expires)) return undefined;
  const local = expires + clockOffsetMs;
  return Math.max(local - refreshSkewMs, now + (local - now) / 2);
}

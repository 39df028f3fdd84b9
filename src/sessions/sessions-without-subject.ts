import { GatewayError } from "../errors/error-codes.js";
import type { CallerNetworkTier } from "../ratelimit/rate-limit.types.js";
import type { Keyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";

/** What a sign-in asked for, as far as it decides whether an ID token comes back. */
export interface AskedSignIn {
  /** The requested scopes; undefined: none named (the application's defaults, or what an authorization code was authorized for). */
  scope: readonly string[] | undefined;
  /**
   * The grant is spent on first use (an authorization code, a refresh token): its answer is never a cached one but may
   * be one kept for a retry, so the session counts as signed in when AWS issued its tokens (a sign-out everywhere since then ends it).
   */
  singleUse?: boolean;
}

export interface SessionsWithoutSubject {
  /**
   * RATE_LIMITED when the sign-in may come back without an ID token and the caller has started its
   * allowance of such sessions in this window; runs before the exchange. A sign-in asking for `openid`
   * is never refused here.
   */
  check(address: string, asked: AskedSignIn): Promise<void>;
  /** After the exchange: counts a session without an ID token the caller started. */
  record(address: string, hadIdToken: boolean): Promise<void>;
}

/**
 * A session without an ID token (no `openid` scope) has no user to count it against
 * (user-session-slots.ts), and the caller chooses the scope: without this, a caller leaving out
 * `openid` made sessions as fast as its upstream budget let it, as before the per-user limit. They
 * are counted per caller address instead, over one absolute lifetime (the longest any session lives,
 * so no more than the limit are alive at once: counted over the idle timeout, as first, sessions kept
 * in use outlived the window they were counted in, eight windows' worth at the defaults, ~800 an address):
 * past SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER the caller's next sign-in that may come without one is
 * refused before its exchange runs, so no grant is spent on it. Sign-ins asking for `openid` from that
 * address go on (a review locked a whole NAT out of signing in with 100 cheap ones). A sign-in that
 * names no scope may come back without one: an authorization code's scopes are the ones it was
 * authorized for, which its caller chose (a second review learned "the defaults give an ID token" from
 * one caller's sign-ins and made sessions without one from another, without limit). A refusal, not
 * eviction: callers behind one address are told why, and how to go on (ask for `openid`), instead of
 * signing each other out in silence.
 */
export function createSessionsWithoutSubject(deps: { store: Store; keyspace: Keyspace; limit: number; windowMs: number; networks?: CallerNetworkTier | undefined }): SessionsWithoutSubject {
  const { store, keyspace, limit, windowMs, networks } = deps;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`createSessionsWithoutSubject: limit must be an integer >= 1 (got ${String(limit)})`);
  // A caller's counter, and for an IPv6 caller its network's: IPV6_NETWORK_CALLERS callers' worth together.
  const countersOf = (address: string): Counter[] => {
    const own = { key: keyspace.key("session-caller", address), limit, over: `This caller started SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=${limit}` };
    const network = networks?.networkOf(address);
    if (network === undefined || networks === undefined) return [own];
    const networkLimit = limit * networks.callers;
    const over = `This caller's IPv6 network started ${networkLimit} (IPV6_NETWORK_CALLERS=${networks.callers} × SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=${limit})`;
    return [own, { key: keyspace.key("session-network", network), limit: networkLimit, over }];
  };
  const mayLackIdToken = (asked: AskedSignIn) => asked.scope?.includes("openid") !== true;

  return {
    async check(address, asked) {
      if (!mayLackIdToken(asked)) return;
      const counters = countersOf(address);
      const values = await Promise.all(counters.map((counter) => store.get(counter.key)));
      counters.forEach((counter, index) => {
        const value = values[index];
        const started = value === null || value === undefined ? 0 : Number.parseInt(value.toString("latin1"), 10);
        if (started < counter.limit) return;
        const windowSeconds = Math.ceil(windowMs / 1000);
        throw new GatewayError(
          "RATE_LIMITED",
          `${counter.over} sessions without an ID token within SESSION_ABSOLUTE_LIFETIME_SECONDS=${windowSeconds}; ask for the openid scope, or retry within ${windowSeconds} s.`,
          { retryAfterSeconds: windowSeconds },
        );
      });
    },
    async record(address, hadIdToken) {
      if (hadIdToken) return;
      await Promise.all(countersOf(address).map((counter) => store.increment(counter.key, Math.max(1, windowMs))));
    },
  };
}

interface Counter {
  key: string;
  limit: number;
  /** Who started how many, as a refusal says it. */
  over: string;
}

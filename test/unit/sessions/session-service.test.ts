import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createSessionService, createSessionStore, isSessionId, type SessionCookie, type SessionService } from "../../../src/sessions/index.js";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const IDLE_MS = 600_000;
const ABSOLUTE_MS = 8 * 3_600_000;
const GRACE_MS = 30_000;
const logger = createLogger({ level: "silent" });

/** A token set as the token service answers it; every secret is unique so a test can look for it. */
function issuedToken(overrides: Partial<IssuedToken> & { sub?: string | null } = {}): IssuedToken {
  const { sub = "alice", ...rest } = overrides;
  return {
    accessToken: `at-${randomBytes(6).toString("hex")}`,
    refreshToken: `rt-${randomBytes(6).toString("hex")}`,
    ...(sub === null ? {} : { idToken: unsignedJwt({ sub }) }),
    expiresIn: 3600,
    issuedAt: clock.now,
    clientId: CLIENT_ID,
    scope: ["openid"],
    ...rest,
  };
}

const clock = { now: Date.UTC(2026, 11, 1, 12) };

interface Harness {
  service: SessionService;
  store: Store;
  /** Every refresh the sessions asked of the token service: [refreshToken, clientId]. */
  refreshCalls: Array<[string, string | null | undefined]>;
  /** What the fake token service answers next (a token set, or an error to throw). */
  nextRefresh: () => Promise<IssuedToken>;
}

let harness: Harness;

beforeEach(() => {
  clock.now = Date.UTC(2026, 11, 1, 12);
  const store = createMemoryStore();
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });
  harness = {
    store,
    refreshCalls: [],
    nextRefresh: async () => issuedToken(),
    service: createSessionService({
      config: { idleTimeoutMs: IDLE_MS, absoluteLifetimeMs: ABSOLUTE_MS },
      rotationGraceMs: GRACE_MS,
      sessions: createSessionStore({ store, keyspace }),
      flights: createLocalSingleFlight(),
      logger,
      now: () => clock.now,
    }),
  };
});

/** One request's session operations, with the cookie its response would set. */
function request(sessionId?: string) {
  const cookies: SessionCookie[] = [];
  const session = harness.service.forRequest({
    sessionId,
    setCookie: (cookie) => cookies.push(cookie),
    tokens: {
      refresh: (input) => {
        harness.refreshCalls.push([input.refreshToken, input.clientId]);
        return harness.nextRefresh();
      },
    },
  });
  const lastCookie = () => cookies.at(-1);
  const newId = () => {
    const cookie = lastCookie();
    if (cookie?.kind !== "set") throw new Error(`expected a set cookie, got ${JSON.stringify(cookie)}`);
    return cookie.sessionId;
  };
  return { session, cookies, lastCookie, newId };
}

async function signedIn(token = issuedToken()): Promise<{ id: string; token: IssuedToken }> {
  const first = request();
  await first.session.signIn(() => token, "exchange");
  return { id: first.newId(), token };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error.code;
}

describe("signIn", () => {
  it("starts a session under a new unguessable id and sets its cookie until the absolute expiry", async () => {
    const token = issuedToken();
    const first = request();
    const { session } = await first.session.signIn(() => token, "exchange");
    expect(first.lastCookie()).toEqual({ kind: "set", sessionId: expect.any(String), maxAgeSeconds: ABSOLUTE_MS / 1000 });
    expect(isSessionId(first.newId())).toBe(true);
    expect(session).toEqual({
      clientId: CLIENT_ID, subject: "alice", signedInAt: clock.now,
      idleExpiresAt: clock.now + IDLE_MS, absoluteExpiresAt: clock.now + ABSOLUTE_MS, token,
    });
    expect((await request(first.newId()).session.current())?.token).toEqual(token);
  });

  it("ends with the access token when there is no refresh token to renew it", async () => {
    const token = issuedToken({ refreshToken: undefined, expiresIn: 900 });
    const { session } = await request().session.signIn(() => token, "exchange");
    expect(session.absoluteExpiresAt).toBe(clock.now + 900_000);
    expect(await codeOf(request((await signedIn(token)).id).session.refresh())).toBe("INVALID_GRANT");
  });

  it("replaces the session the request already had: a sign-in never keeps an old id (no fixation)", async () => {
    const old = await signedIn();
    const again = request(old.id);
    await again.session.signIn(() => issuedToken(), "another exchange");
    expect(again.newId()).not.toBe(old.id);
    expect(await request(old.id).session.current()).toBeUndefined();
    expect(await request(again.newId()).session.current()).toBeDefined();
  });

  it("gives aliases of one exchange one session, and refuses a second, different sign-in in the same operation before its exchange runs", async () => {
    const token = issuedToken();
    const operation = request();
    const [a, b] = await Promise.all([operation.session.signIn(() => token, "exchange"), operation.session.signIn(() => token, "exchange")]);
    expect(a.session).toBe(b.session);
    expect(operation.cookies.filter((cookie) => cookie.kind === "set")).toHaveLength(1);
    let exchanged = false;
    expect(await codeOf(operation.session.signIn(() => { exchanged = true; return issuedToken(); }, "another exchange"))).toBe("BAD_USER_INPUT");
    expect(exchanged).toBe(false);
  });

  it("spends one unit of the caller's upstream budget per sign-in, before the exchange, and a refused one starts nothing", async () => {
    const spent: string[] = [];
    let allowance = 1;
    const service = createSessionService({
      config: { idleTimeoutMs: IDLE_MS, absoluteLifetimeMs: ABSOLUTE_MS }, rotationGraceMs: GRACE_MS, logger, now: () => clock.now,
      sessions: createSessionStore({ store: harness.store, keyspace: createKeyspace({ secret: Buffer.alloc(32, 7) }) }),
      flights: createLocalSingleFlight(),
      signInBudget: { consume: async (address) => { spent.push(address); if (allowance-- <= 0) throw new GatewayError("RATE_LIMITED"); } },
    });
    const signIn = () => {
      const cookies: SessionCookie[] = [];
      let exchanged = false;
      const session = service.forRequest({ sessionId: undefined, caller: { address: "203.0.113.7" }, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh: harness.nextRefresh } });
      return { cookies, exchanged: () => exchanged, result: session.signIn(() => { exchanged = true; return issuedToken(); }, "exchange") };
    };
    const first = signIn();
    await first.result;
    expect(first.cookies).toHaveLength(1);
    const second = signIn();
    expect(await codeOf(second.result)).toBe("RATE_LIMITED");
    expect(second.exchanged()).toBe(false);
    expect(second.cookies).toEqual([]);
    expect(spent).toEqual(["203.0.113.7", "203.0.113.7"]);
  });

  it("keeps the tokens sealed under keys that never contain the session id", async () => {
    const keys: string[] = [];
    const values: Buffer[] = [];
    const set = harness.store.set.bind(harness.store);
    harness.store.set = async (key, value, ttl) => {
      keys.push(key);
      values.push(value);
      return set(key, value, ttl);
    };
    const { id, token } = await signedIn();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).not.toContain(id);
    for (const value of values) {
      for (const secret of [token.refreshToken!, token.accessToken!, id]) expect(value.toString("latin1")).not.toContain(secret);
    }
  });
});

describe("current", () => {
  it("answers no session, and clears the cookie, for an id the store does not know", async () => {
    const unknown = request("A".repeat(43));
    expect(await unknown.session.current()).toBeUndefined();
    expect(unknown.lastCookie()).toEqual({ kind: "clear" });
  });

  it("answers no session without a cookie, and sets none", async () => {
    const none = request();
    expect(await none.session.current()).toBeUndefined();
    expect(none.cookies).toEqual([]);
  });

  it("ends a session nobody used for the idle timeout; each use renews it", async () => {
    const { id } = await signedIn();
    clock.now += IDLE_MS - 1_000;
    expect((await request(id).session.current())?.idleExpiresAt).toBe(clock.now + IDLE_MS);
    clock.now += IDLE_MS - 1_000; // past the first deadline, within the renewed one
    expect(await request(id).session.current()).toBeDefined();
    clock.now += IDLE_MS;
    expect(await request(id).session.current()).toBeUndefined();
  });

  it("ends a session at its absolute expiry however often it is used", async () => {
    const { id } = await signedIn();
    for (let used = 0; used < ABSOLUTE_MS / (IDLE_MS / 2); used += 1) {
      clock.now += IDLE_MS / 2;
      const view = await request(id).session.current();
      if (clock.now >= Date.UTC(2026, 11, 1, 12) + ABSOLUTE_MS) expect(view).toBeUndefined();
      else expect(view?.absoluteExpiresAt).toBe(Date.UTC(2026, 11, 1, 12) + ABSOLUTE_MS);
    }
    expect(await request(id).session.current()).toBeUndefined();
  });

  it("keeps a live record in the store for one idle timeout from its last use, never past its absolute expiry", async () => {
    const ttls: Array<[string, number]> = [];
    const { set, extendIfEquals } = harness.store;
    harness.store.set = (key, value, ttl) => { if (key.includes(":session:")) ttls.push(["set", ttl]); return set.call(harness.store, key, value, ttl); };
    harness.store.extendIfEquals = (key, value, ttl) => { if (key.includes(":session:")) ttls.push(["extend", ttl]); return extendIfEquals.call(harness.store, key, value, ttl); };
    const { id } = await signedIn();
    const signedInAt = clock.now;
    clock.now += IDLE_MS / 2;
    await request(id).session.current();
    expect(ttls).toEqual([["set", IDLE_MS], ["extend", IDLE_MS]]);
    // Used every half idle timeout until a quarter of one is left of its life: the last renewal stops at the absolute expiry.
    while (clock.now + IDLE_MS / 2 < signedInAt + ABSOLUTE_MS) {
      clock.now += IDLE_MS / 2;
      expect(await request(id).session.current()).toBeDefined();
    }
    expect(ttls.at(-1)).toEqual(["extend", signedInAt + ABSOLUTE_MS - clock.now]);
    expect(signedInAt + ABSOLUTE_MS - clock.now).toBeLessThan(IDLE_MS);
  });

  it("never brings back a record a refresh rotated while a request was using it", async () => {
    const { id } = await signedIn();
    clock.now += IDLE_MS / 2;
    const { extendIfEquals } = harness.store;
    let refreshedMeanwhile!: string;
    harness.store.extendIfEquals = async (key, value, ttl) => {
      // The refresh lands between this request's read and its renewal.
      harness.store.extendIfEquals = extendIfEquals;
      const other = request(id);
      await other.session.refresh();
      refreshedMeanwhile = other.newId();
      return extendIfEquals.call(harness.store, key, value, ttl);
    };
    await request(id).session.current();
    clock.now += GRACE_MS;
    // The old id leads to the refreshed session (no request has used the new id yet), never back to the record it rotated.
    const stale = request(id);
    expect(await stale.session.current()).toBeDefined();
    expect(stale.newId()).toBe(refreshedMeanwhile);
    expect(await request(refreshedMeanwhile).session.current()).toBeDefined();
    clock.now += GRACE_MS;
    expect(await request(id).session.current()).toBeUndefined();
  });

  it("answers no session for a record sealed under another gateway secret", async () => {
    const { id } = await signedIn();
    const other = createSessionService({
      config: { idleTimeoutMs: IDLE_MS, absoluteLifetimeMs: ABSOLUTE_MS }, rotationGraceMs: GRACE_MS, logger, now: () => clock.now,
      sessions: createSessionStore({ store: harness.store, keyspace: createKeyspace({ secret: Buffer.alloc(32, 9) }) }),
      flights: createLocalSingleFlight(),
    });
    expect(await other.forRequest({ sessionId: id, setCookie: () => undefined, tokens: { refresh: harness.nextRefresh } }).current()).toBeUndefined();
  });
});

describe("refresh", () => {
  it("renews the tokens with the session's refresh token and rotates the id, keeping sign-in time and absolute expiry", async () => {
    const { id, token } = await signedIn();
    clock.now += 60_000;
    const renewed = issuedToken();
    harness.nextRefresh = async () => renewed;
    const tab = request(id);
    const view = await tab.session.refresh();
    expect(harness.refreshCalls).toEqual([[token.refreshToken, CLIENT_ID]]);
    expect(tab.newId()).not.toBe(id);
    expect(view.token).toEqual(renewed);
    expect(view.signedInAt).toBe(clock.now - 60_000);
    expect(view.absoluteExpiresAt).toBe(clock.now - 60_000 + ABSOLUTE_MS);
    expect((await request(tab.newId()).session.current())?.token).toEqual(renewed);
  });

  it("keeps the refresh token and id token AWS did not send again", async () => {
    const { id, token } = await signedIn();
    harness.nextRefresh = async () => issuedToken({ refreshToken: undefined, sub: null });
    const view = await request(id).session.refresh();
    expect(view.token.refreshToken).toBe(token.refreshToken);
    expect(view.token.idToken).toBe(token.idToken);
  });

  it("lets the old id lead to the new session for the grace window only", async () => {
    const { id } = await signedIn();
    const tab = request(id);
    await tab.session.refresh();
    const late = request(id);
    expect((await late.session.current())?.token).toEqual((await request(tab.newId()).session.current())?.token);
    expect(late.lastCookie()).toEqual({ kind: "set", sessionId: tab.newId(), maxAgeSeconds: expect.any(Number) });
    clock.now += GRACE_MS;
    expect(await request(id).session.current()).toBeUndefined();
    expect(await request(tab.newId()).session.current()).toBeDefined();
  });

  it("makes one refresh for two tabs refreshing the same session at once, and gives both the same new id", async () => {
    const { id } = await signedIn();
    const waiting: Array<(token: IssuedToken) => void> = [];
    harness.nextRefresh = () => new Promise((resolve) => { waiting.push(resolve); });
    const [tab1, tab2] = [request(id), request(id)];
    const both = Promise.all([tab1.session.refresh(), tab2.session.refresh()]);
    // Both tabs have reached the token service (or joined the one refresh) before any answer comes back.
    while (waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    for (const answer of waiting) answer(issuedToken());
    await both;
    expect(harness.refreshCalls).toHaveLength(1);
    expect(tab1.newId()).toBe(tab2.newId());
  });

  it("makes no second refresh for a tab whose old id was refreshed moments ago: it gets that new session", async () => {
    const { id } = await signedIn();
    const tab1 = request(id);
    await tab1.session.refresh();
    const tab2 = request(id);
    await tab2.session.refresh();
    expect(harness.refreshCalls).toHaveLength(1);
    expect(tab2.newId()).toBe(tab1.newId());
  });

  it.each(["INVALID_GRANT", "EXPIRED_TOKEN"] as const)("ends the session when the refresh is answered %s", async (code) => {
    const { id } = await signedIn();
    harness.nextRefresh = async () => { throw new GatewayError(code); };
    const tab = request(id);
    expect(await codeOf(tab.session.refresh())).toBe(code);
    expect(tab.lastCookie()).toEqual({ kind: "clear" });
    expect(await request(id).session.current()).toBeUndefined();
  });

  it.each(["UPSTREAM_UNAVAILABLE", "UPSTREAM_SERVER_ERROR", "SLOW_DOWN", "RATE_LIMITED"] as const)("keeps the session when the refresh fails with %s", async (code) => {
    const { id, token } = await signedIn();
    harness.nextRefresh = async () => { throw new GatewayError(code); };
    const tab = request(id);
    expect(await codeOf(tab.session.refresh())).toBe(code);
    expect(tab.cookies).toEqual([]);
    expect((await request(id).session.current())?.token).toEqual(token);
  });

  it("answers UNAUTHENTICATED without a live session, clearing a stale cookie", async () => {
    expect(await codeOf(request().session.refresh())).toBe("UNAUTHENTICATED");
    const stale = request("B".repeat(43));
    expect(await codeOf(stale.session.refresh())).toBe("UNAUTHENTICATED");
    expect(stale.lastCookie()).toEqual({ kind: "clear" });
    expect(harness.refreshCalls).toEqual([]);
  });
});

describe("signOut and signOutEverywhere", () => {
  it("signOut ends this session only and clears the cookie", async () => {
    const mine = await signedIn();
    const other = await signedIn();
    const tab = request(mine.id);
    expect(await tab.session.signOut()).toBe(true);
    expect(tab.lastCookie()).toEqual({ kind: "clear" });
    expect(await request(mine.id).session.current()).toBeUndefined();
    expect(await request(other.id).session.current()).toBeDefined();
    expect(await request(mine.id).session.signOut()).toBe(false);
  });

  it("signOut through an old id ends the session it leads to as well", async () => {
    const { id } = await signedIn();
    const tab = request(id);
    await tab.session.refresh();
    expect(await request(id).session.signOut()).toBe(true);
    expect(await request(tab.newId()).session.current()).toBeUndefined();
  });

  it("signOutEverywhere ends every session of the user, and none of another user's; later sign-ins live", async () => {
    const laptop = await signedIn(issuedToken({ sub: "alice" }));
    const phone = await signedIn(issuedToken({ sub: "alice" }));
    const bob = await signedIn(issuedToken({ sub: "bob" }));
    const tab = request(laptop.id);
    expect(await tab.session.signOutEverywhere()).toBe(true);
    expect(tab.lastCookie()).toEqual({ kind: "clear" });
    expect(await request(laptop.id).session.current()).toBeUndefined();
    expect(await request(phone.id).session.current()).toBeUndefined();
    expect(await request(bob.id).session.current()).toBeDefined();
    clock.now += 1;
    const again = await signedIn(issuedToken({ sub: "alice" }));
    expect(await request(again.id).session.current()).toBeDefined();
  });

  it("signOutEverywhere also ends a session refreshed after sign-in (the marker counts from sign-in, kept across refreshes)", async () => {
    const laptop = await signedIn(issuedToken({ sub: "alice" }));
    const phone = await signedIn(issuedToken({ sub: "alice" }));
    clock.now += 1_000;
    const phoneTab = request(phone.id);
    await phoneTab.session.refresh();
    clock.now += 1_000;
    await request(laptop.id).session.signOutEverywhere();
    expect(await request(phoneTab.newId()).session.current()).toBeUndefined();
  });

  it("signOutEverywhere without a subject (no id token) ends only this session and says so", async () => {
    const anonymous = await signedIn(issuedToken({ sub: null }));
    const other = await signedIn(issuedToken({ sub: null }));
    expect(await request(anonymous.id).session.signOutEverywhere()).toBe(false);
    expect(await request(anonymous.id).session.current()).toBeUndefined();
    expect(await request(other.id).session.current()).toBeDefined();
  });

  it("signOutEverywhere answers UNAUTHENTICATED without a live session", async () => {
    expect(await codeOf(request().session.signOutEverywhere())).toBe("UNAUTHENTICATED");
  });
});

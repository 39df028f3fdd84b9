import { describe, expect, it } from "vitest";
import { Counter, Registry } from "prom-client";
import { createSingleFlight } from "../../../src/coordination/single-flight.js";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createSessionService, createSessionStore, isSessionId, type SessionCookie } from "../../../src/sessions/index.js";
import { createSessionBackingStore, unavailableOnFailure } from "../../../src/sessions/session-backing-store.js";
import { decodeSessionRecord, encodeSessionRecord } from "../../../src/sessions/session-record.js";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * The session layer's edges: what it counts, its hand-off between replicas (the rotation's codec
 * over a store-backed flight), rotation without a grace window, the idle clock's write interval,
 * the record codec's refusals, ids, and the backing store's failure mapping.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const IDLE_MS = 600_000;
const logger = createLogger({ level: "silent" });
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });
const T0 = Date.UTC(2026, 11, 1, 12);

function token(overrides: Partial<IssuedToken> & { sub?: string | null } = {}): IssuedToken {
  const { sub = "alice", ...rest } = overrides;
  return {
    accessToken: "at", refreshToken: `rt-${Math.random()}`, ...(sub === null ? {} : { idToken: unsignedJwt({ sub }) }),
    expiresIn: 3600, issuedAt: T0, clientId: CLIENT_ID, ...rest,
  };
}

function world(options: { store?: Store; graceMs?: number; flights?: "local" | "store"; refresh?: () => Promise<IssuedToken> } = {}) {
  const store = options.store ?? createMemoryStore();
  const clock = { now: T0 };
  const registry = new Registry();
  const sessionsCounter = new Counter({ name: "sessions_total", help: "h", labelNames: ["event"], registers: [registry] });
  const refreshes: string[] = [];
  const service = createSessionService({
    config: { idleTimeoutMs: IDLE_MS, absoluteLifetimeMs: 8 * 3_600_000 },
    rotationGraceMs: options.graceMs ?? 30_000,
    sessions: createSessionStore({ store, keyspace }),
    flights: options.flights === "store" ? createSingleFlight({ store, keyspace, lockTtlMs: 5_000, waitTimeoutMs: 5_000 }) : createLocalSingleFlight(),
    logger,
    now: () => clock.now,
    metrics: { sessions: sessionsCounter },
  });
  const open = (sessionId?: string) => {
    const cookies: SessionCookie[] = [];
    const session = service.forRequest({
      sessionId,
      setCookie: (cookie) => cookies.push(cookie),
      tokens: { refresh: async (input) => { refreshes.push(input.refreshToken); return (options.refresh ?? (async () => token()))(); } },
    });
    const id = () => { const last = cookies.at(-1); return last?.kind === "set" ? last.sessionId : undefined; };
    return { session, cookies, id };
  };
  const counts = async () => Object.fromEntries((await sessionsCounter.get()).values.map((value) => [value.labels.event, value.value]));
  return { store, clock, open, counts, refreshes, service };
}

async function signIn(w: ReturnType<typeof world>, issued = token()): Promise<string> {
  const tab = w.open();
  await tab.session.signIn(() => issued, "exchange");
  return tab.id()!;
}

describe("what sessions count", () => {
  it("counts started, refreshed, ended, signed_out (only when a session ended) and signed_out_everywhere", async () => {
    const w = world();
    const a = await signIn(w);
    await w.open(a).session.refresh();
    const b = await signIn(w, token({ sub: null }));
    expect(await w.open(b).session.signOutEverywhere()).toBe(false);
    const c = await signIn(w);
    expect(await w.open(c).session.signOut()).toBe(true);
    expect(await w.open(c).session.signOut()).toBe(false);
    const d = await signIn(w, token({ sub: "dora" }));
    await w.open(d).session.signOutEverywhere();
    const e = await signIn(w);
    const failing = world({ store: w.store, refresh: async () => { throw new GatewayError("INVALID_GRANT"); } });
    await failing.open(e).session.refresh().catch(() => undefined);
    expect(await w.counts()).toEqual({ started: 5, refreshed: 1, signed_out: 2, signed_out_everywhere: 1 });
    expect(await failing.counts()).toEqual({ ended: 1 });
  });
});

describe("rotation", () => {
  it("hands the new session from one replica's refresh to another's through the store (the rotation's codec)", async () => {
    const store = createMemoryStore();
    let answer!: (issued: IssuedToken) => void;
    const held = new Promise<IssuedToken>((resolve) => { answer = resolve; });
    const one = world({ store, flights: "store", refresh: () => held });
    const two = world({ store, flights: "store", refresh: () => held });
    const id = await signIn(one);
    const tabOne = one.open(id);
    const tabTwo = two.open(id);
    const both = Promise.all([tabOne.session.refresh(), tabTwo.session.refresh()]);
    while (one.refreshes.length + two.refreshes.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer(token({ accessToken: "renewed" }));
    const [a, b] = await both;
    expect(one.refreshes.length + two.refreshes.length).toBe(1);
    expect(tabOne.id()).toBe(tabTwo.id());
    expect(a).toEqual(b);
    expect(a.token.accessToken).toBe("renewed");
  });

  it("without a grace window, the old id ends at once", async () => {
    const w = world({ graceMs: 0 });
    const id = await signIn(w);
    const tab = w.open(id);
    await tab.session.refresh();
    expect(await w.open(id).session.current()).toBeUndefined();
    expect(await w.open(tab.id()).session.current()).toBeDefined();
  });

  it("follows a chain of forwards no longer than a browser makes: three refreshes in the grace window still lead to the session", async () => {
    const w = world();
    const first = await signIn(w);
    let id = first;
    for (let i = 0; i < 3; i += 1) {
      const tab = w.open(id);
      await tab.session.refresh();
      id = tab.id()!;
    }
    expect((await w.open(first).session.current())).toBeDefined();
    const fourth = w.open(id);
    await fourth.session.refresh();
    expect(await w.open(first).session.current()).toBeUndefined();
  });
});

describe("the idle clock", () => {
  it("is written at most every tenth of the idle timeout (capped at a minute), not on every use", async () => {
    const w = world();
    const seenWrites: number[] = [];
    const set = w.store.set.bind(w.store);
    w.store.set = (key, value, ttl) => { if (key.includes(":session-seen:")) seenWrites.push(w.clock.now); return set(key, value, ttl); };
    const id = await signIn(w);
    seenWrites.length = 0;
    w.clock.now += 59_999;
    await w.open(id).session.current();
    expect(seenWrites).toEqual([]);
    w.clock.now += 1;
    await w.open(id).session.current();
    expect(seenWrites).toEqual([T0 + 60_000]);
  });

  it("lives the absolute lifetime without a refresh token when AWS gave no expiresIn (no expiry to bound it by)", async () => {
    const w = world();
    const tab = w.open();
    const { session } = await tab.session.signIn(() => token({ refreshToken: undefined, expiresIn: undefined }), "exchange");
    expect(session.absoluteExpiresAt).toBe(T0 + 8 * 3_600_000);
  });
});

describe("sign-out edges", () => {
  it("signOut without a cookie answers false and clears the cookie; signOutEverywhere with a stale one answers UNAUTHENTICATED and clears it", async () => {
    const w = world();
    const none = w.open();
    expect(await none.session.signOut()).toBe(false);
    expect(none.cookies).toEqual([{ kind: "clear" }]);
    const stale = w.open("S".repeat(43));
    const error = await stale.session.signOutEverywhere().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(stale.cookies).toEqual([{ kind: "clear" }]);
  });

  it("keeps the sign-out-everywhere marker for the absolute lifetime plus a minute of clock slack", async () => {
    const w = world();
    const ttls: number[] = [];
    const set = w.store.set.bind(w.store);
    w.store.set = (key, value, ttl) => { if (key.includes(":session-user:")) ttls.push(ttl); return set(key, value, ttl); };
    await w.open(await signIn(w)).session.signOutEverywhere();
    expect(ttls).toEqual([8 * 3_600_000 + 60_000]);
  });

  it("checks the store with one write before a first sign-in's exchange (a Redis out of memory still answers reads)", async () => {
    const w = world();
    const steps: string[] = [];
    const set = w.store.set.bind(w.store);
    w.store.set = (key, value, ttlMs) => { steps.push(`set ${key.split(":")[2]!}`); return set(key, value, ttlMs); };
    await w.open().session.signIn(() => { steps.push("exchange"); return token(); }, "exchange");
    expect(steps.slice(0, 2)).toEqual(["set session-probe", "exchange"]);
  });
});

describe("session records", () => {
  const live = { state: "live" as const, token: token(), subject: "alice", signedInAt: T0, absoluteExpiresAt: T0 + 1 };
  const rotated = { state: "rotated" as const, successorId: "x".repeat(43), forwardUntil: T0 };

  it("round-trip, live and rotated", () => {
    expect(decodeSessionRecord(encodeSessionRecord(live))).toEqual(live);
    expect(decodeSessionRecord(encodeSessionRecord(rotated))).toEqual(rotated);
    expect(decodeSessionRecord(encodeSessionRecord({ ...live, subject: null }))).toEqual({ ...live, subject: null });
  });

  it.each([
    ["null", null],
    ["an unknown state", { ...live, state: "other" }],
    ["a live record without signedInAt", { ...live, signedInAt: "x" }],
    ["a live record without absoluteExpiresAt", { ...live, absoluteExpiresAt: undefined }],
    ["a live record with a numeric subject", { ...live, subject: 7 }],
    ["a live record without tokens", { ...live, token: undefined }],
    ["a rotated record without successorId", { ...rotated, successorId: 1 }],
    ["a rotated record without forwardUntil", { ...rotated, forwardUntil: "soon" }],
  ])("refuses %s", (_name, value) => {
    expect(() => decodeSessionRecord(Buffer.from(JSON.stringify(value), "utf8"))).toThrow(TypeError);
  });

  it("refuses a live record whose tokens lack issuedAt or clientId", () => {
    expect(() => decodeSessionRecord(Buffer.from(JSON.stringify({ ...live, token: { accessToken: "a" } }), "utf8"))).toThrow(TypeError);
  });
});

describe("session ids", () => {
  it("are 43 base64url characters; anything else is no session", () => {
    expect(isSessionId("A".repeat(43))).toBe(true);
    expect(isSessionId("A".repeat(42))).toBe(false);
    expect(isSessionId("A".repeat(44))).toBe(false);
    expect(isSessionId(`${"A".repeat(42)}=`)).toBe(false);
    expect(isSessionId(42)).toBe(false);
    expect(isSessionId(undefined)).toBe(false);
  });
});

describe("the sessions' backing store", () => {
  const failing: Store = new Proxy(createMemoryStore(), {
    get(target, property) {
      if (property === "kind" || property === "ordered" || property === "health" || property === "close") return Reflect.get(target, property);
      return () => Promise.reject(new Error("connect ECONNREFUSED"));
    },
  });

  it.each(["get", "set", "delete", "swap", "setIfAbsent", "deleteIfEquals", "extendIfEquals", "increment", "publish", "subscribe"] as const)(
    "turns a failing %s into SESSION_STORE_UNAVAILABLE (retryable), never the store's own message",
    async (method) => {
      const store = unavailableOnFailure(failing);
      const call = (store[method] as (...args: unknown[]) => Promise<unknown>)("k", Buffer.from("v"), 1000);
      const error = await call.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ code: "SESSION_STORE_UNAVAILABLE", retryable: true });
      expect((error as Error).message).not.toContain("ECONNREFUSED");
    },
  );

  it("passes a GatewayError through, answers as its store does, and keeps its kind and order", async () => {
    const refusing = { ...createMemoryStore(), get: () => Promise.reject(new GatewayError("RATE_LIMITED")) } as Store;
    await expect(unavailableOnFailure(refusing).get("k")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    const memory = createMemoryStore();
    const wrapped = unavailableOnFailure(memory);
    expect([wrapped.kind, wrapped.ordered]).toEqual([memory.kind, memory.ordered]);
    await wrapped.set("k", Buffer.from("v"), 1000);
    expect((await wrapped.get("k"))?.toString()).toBe("v");
    expect(await wrapped.setIfAbsent("k", Buffer.from("w"), 1000)).toBe(false);
    expect(await wrapped.extendIfEquals("k", Buffer.from("v"), 1000)).toBe(true);
    expect(await wrapped.increment("n", 1000)).toBe(1);
    expect(await wrapped.deleteIfEquals("k", Buffer.from("v"))).toBe(true);
    await wrapped.delete("n");
    let deliver!: (message: string) => void;
    const delivered = new Promise<string>((resolve) => { deliver = resolve; });
    const unsubscribe = await wrapped.subscribe("c", (message) => deliver(message.toString()));
    await wrapped.publish("c", Buffer.from("hello"));
    expect(await delivered).toBe("hello");
    await unsubscribe();
    expect((await wrapped.health()).status).toBe("up");
    await wrapped.close();
  });

  it("is a memory store of its own without REDIS_URL, a Redis store with it", async () => {
    const memory = createSessionBackingStore({ redisUrl: undefined, coordination: undefined }, logger);
    expect(memory.kind).toBe("memory");
    await memory.close();
    const redis = createSessionBackingStore({ redisUrl: "redis://127.0.0.1:1", coordination: undefined }, logger);
    expect(redis.kind).toBe("redis");
    await redis.close();
  });
});


import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createPersistedQueryCache, persistedQueryDocumentKey, persistedQuerySlotNamespace, persistedQuerySlotSecret, type PersistedQueryOutcome } from "../../../src/server/apq-cache.js";
import { createRateLimits } from "../../../src/ratelimit/index.js";
import { createMemoryStore, type Store } from "../../../src/store/index.js";
import { capturingLogger } from "./server-fixtures.js";

/**
 * APQ_MAX_ENTRIES_PER_CALLER: one caller's share of the persisted-query table. The real cache on a
 * real memory store, charged through the real rate limit (memory backend); who registers each key
 * stands in for the registrants plugin (apq-registrants.ts, exercised through a gateway process in
 * test/integration/hardening/apq-caller-share.test.ts).
 */

const LIMITS = { maxEntries: 100, maxDocumentBytes: 4096, ttlSeconds: 3600 };
const key = (caller: string, n: number) => `apq:${createHash("sha256").update(`${caller}/${n}`).digest("hex")}`;

function setup(options: { perCaller: number; store?: Store }) {
  const { logger } = capturingLogger();
  const limits = { ...LIMITS, maxEntriesPerCaller: options.perCaller };
  const rateLimits = createRateLimits({ config: { rateLimits: { applicationPerSecond: 0, callerPerSecond: 0, callerBurst: 0 }, persistedQueries: limits }, redisUrl: undefined, logger });
  const registrants = new Map<string, string[]>();
  const outcomes: PersistedQueryOutcome[] = [];
  const store = options.store ?? createMemoryStore();
  const cache = createPersistedQueryCache({
    store, limits, logger,
    callerBudget: { registrantsOf: (k: string) => registrants.get(k) ?? [], limit: rateLimits.persistedQueryCaller! },
    onRegistration: (outcome) => outcomes.push(outcome),
  });
  /** `caller` registers its n-th document, as Apollo does while the caller's request is in flight. */
  const register = (caller: string, n: number) => {
    registrants.set(key(caller, n), [caller]);
    return cache.set(key(caller, n), `{ doc${n} # ${caller} }`);
  };
  const kept = async (caller: string, count: number) =>
    (await Promise.all(Array.from({ length: count }, (_, n) => cache.get(key(caller, n))))).filter((document) => document !== undefined).length;
  return { cache, register, kept, outcomes, rateLimits, registrants, store };
}

describe("persisted queries: one caller's share of the table (APQ_MAX_ENTRIES_PER_CALLER)", () => {
  it("stores a caller's first documents up to its share, executes the rest unstored, and leaves the table to the next caller", async () => {
    const { register, kept, outcomes } = setup({ perCaller: 5 });
    for (let n = 0; n < 30; n += 1) await register("203.0.113.7", n);
    expect(await kept("203.0.113.7", 30)).toBe(5);
    expect(outcomes.filter((outcome) => outcome === "stored")).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === "caller-over-budget")).toHaveLength(25);

    for (let n = 0; n < 5; n += 1) await register("198.51.100.9", n);
    expect(await kept("198.51.100.9", 5)).toBe(5);
  });

  it("cannot be overshot by registering at once: 40 concurrent registrations store exactly the share, and the refused give their slots back", async () => {
    const { register, kept, outcomes, store } = setup({ perCaller: 3 });
    await Promise.all(Array.from({ length: 40 }, (_, n) => register("203.0.113.7", n)));
    expect(await kept("203.0.113.7", 40)).toBe(3);
    expect(outcomes.filter((outcome) => outcome === "stored")).toHaveLength(3);
    expect(outcomes.filter((outcome) => outcome === "caller-over-budget")).toHaveLength(37);
    // The slots the refused claimed for a moment are free again: 3 of the table's 100 are taken.
    const taken = await Promise.all(Array.from({ length: LIMITS.maxEntries }, (_, slot) => store.get(`${persistedQuerySlotNamespace(LIMITS.maxEntries)}${slot}`)));
    expect(taken.filter((value) => value !== null)).toHaveLength(3);
  });

  it("refuses a caller past its share from memory, without a store command", async () => {
    const memory = createMemoryStore();
    let commands = 0;
    const counting = new Proxy(memory, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === "function" ? (...args: unknown[]) => ((commands += 1), (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
      },
    });
    const { register } = setup({ perCaller: 2, store: counting });
    for (let n = 0; n < 3; n += 1) await register("203.0.113.7", n);
    const before = commands;
    for (let n = 3; n < 20; n += 1) await register("203.0.113.7", n);
    expect(commands - before).toBe(0);
  });

  it("does not store a registration no caller is known for (the registrants plugin did not see it), and says so", async () => {
    const { cache, outcomes } = setup({ perCaller: 5 });
    await cache.set(key("nobody", 0), "{ orphan }");
    expect(outcomes).toEqual(["unattributed"]);
    expect(await cache.get(key("nobody", 0))).toBeUndefined();
  });

  it("stores a document several callers register at once, charged to one with share left: a caller past its share sending the same hash cannot keep it out", async () => {
    const { cache, registrants, kept, outcomes, rateLimits } = setup({ perCaller: 1 });
    const attacker = "203.0.113.7";
    for (let n = 0; n < 3; n += 1) {
      registrants.set(key(attacker, n), [attacker]);
      await cache.set(key(attacker, n), `{ a${n} }`);
    }
    expect(outcomes).toEqual(["stored", "caller-over-budget", "caller-over-budget"]);
    // The attacker's request for the victim's hash started first (a document that does not match it, refused with 400 later).
    const victim = "198.51.100.9";
    const document = "{ victimOperation }";
    const victimKey = `apq:${createHash("sha256").update(document).digest("hex")}`;
    registrants.set(victimKey, [attacker, victim]);
    await cache.set(victimKey, document);
    expect(outcomes.at(-1)).toBe("stored");
    expect(await cache.get(victimKey)).toBe(document);
    // The victim paid: its share is spent now.
    await expect(rateLimits.persistedQueryCaller!.consume(victim)).rejects.toMatchObject({ code: "RATE_LIMITED" });
    void kept;
  });

  it("gives a new layout (GATEWAY_SECRET rotated) a table of its own, still serving what the old one stored: not a table left full for a day", async () => {
    const store = createMemoryStore();
    const { logger } = capturingLogger();
    const limits = { ...LIMITS, maxEntries: 256 };
    const [oldSecret, newSecret] = [persistedQuerySlotSecret(Buffer.alloc(32, 1)), persistedQuerySlotSecret(Buffer.alloc(32, 2))];
    const before = createPersistedQueryCache({ store, limits, logger, slotSecret: oldSecret });
    for (let n = 0; n < 800; n += 1) await before.set(key("old", n), `{ old${n} }`);
    const taken = async (secret: Buffer) =>
      (await Promise.all(Array.from({ length: limits.maxEntries }, (_, slot) => store.get(`${persistedQuerySlotNamespace(limits.maxEntries, secret)}${slot}`)))).filter((value) => value !== null).length;
    const oldTable = await taken(oldSecret);
    expect(oldTable).toBeGreaterThan(230);

    const outcomes: PersistedQueryOutcome[] = [];
    const after = createPersistedQueryCache({ store, limits, logger, slotSecret: newSecret, onRegistration: (outcome) => outcomes.push(outcome) });
    for (let n = 0; n < 20; n += 1) await after.set(key("new", n), `{ new${n} }`);
    expect(outcomes).toEqual(Array(20).fill("stored"));
    expect(await taken(newSecret)).toBe(20);
    // The old layout's slots are left alone (they expire), and its documents are still served by the new one.
    expect(await taken(oldSecret)).toBe(oldTable);
    const served = (await Promise.all(Array.from({ length: 800 }, (_, n) => after.get(key("old", n))))).filter((found) => found !== undefined).length;
    expect(served).toBe(oldTable);
  });

  it("writes a document back when its slot holds it but the document is gone (evicted, deleted, cut short): not missing for the slot's whole life, and not charged", async () => {
    const { register, kept, outcomes, store, rateLimits } = setup({ perCaller: 1 });
    await register("203.0.113.7", 0);
    expect(await kept("203.0.113.7", 1)).toBe(1);
    await store.delete(persistedQueryDocumentKey(key("203.0.113.7", 0)));
    expect(await kept("203.0.113.7", 1)).toBe(0);
    await register("203.0.113.7", 0);
    expect(await kept("203.0.113.7", 1)).toBe(1);
    expect(outcomes).toEqual(["stored", "already-stored"]);
    // Its one document's charge only: the share of 1 was spent by the first registration, not again.
    expect(rateLimits.persistedQueryCaller!.refusedNow?.("203.0.113.7")).toBeUndefined();
  });

  it("charges only documents it stores: a document already stored, too large or over the table costs its caller nothing", async () => {
    const { register, kept, registrants, cache, outcomes } = setup({ perCaller: 2 });
    await register("203.0.113.7", 0);
    for (let again = 0; again < 5; again += 1) await register("203.0.113.7", 0);
    const large = key("203.0.113.7", 99);
    registrants.set(large, ["203.0.113.7"]);
    await cache.set(large, `{ big # ${"x".repeat(LIMITS.maxDocumentBytes)} }`);
    await register("203.0.113.7", 1);
    expect(await kept("203.0.113.7", 2)).toBe(2);
    expect(outcomes).toEqual(["stored", ...Array(5).fill("already-stored"), "too-large", "stored"]);
  });
});

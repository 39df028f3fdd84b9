import { describe, expect, it } from "vitest";
import { createUserSessionSlots, type SlotHolder } from "../../../src/sessions/user-session-slots.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";

const user = { clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-1", subject: "alice" };
/** Sign-in n: lineage-n, session sid-n, signed in at 1,000 + n (long ago: a lookup decides whether it is live). */
const holder = (n: number): SlotHolder => ({ lineage: `lineage-${n}`, signedInAt: 1_000 + n });

function slotsOf(limit: number, options: { now?: () => number } = {}) {
  const store = createMemoryStore();
  const slots = createUserSessionSlots({ store, keyspace: createKeyspace({ secret: Buffer.alloc(32, 3) }), limit, now: options.now ?? (() => 1_000_000) });
  const displaced: string[] = [];
  const over = new Set<string>();
  const deps = { isLive: async (id: string) => !over.has(id), displace: async (id: string) => void displaced.push(id) };
  const claim = (n: number, who = user) => slots.claim(who, holder(n), `sid-${n}`, 60_000, deps);
  return { store, slots, displaced, over, deps, claim };
}

describe("user session slots (SESSION_MAX_PER_USER)", () => {
  it("gives each sign-in a free slot while there is one, displacing no one", async () => {
    const { slots, displaced, claim } = slotsOf(3);
    expect((await Promise.all([0, 1, 2].map((n) => claim(n)))).sort()).toEqual([0, 1, 2]);
    expect(displaced).toEqual([]);
    for (const n of [0, 1, 2]) expect(await slots.holds(user, n, `lineage-${n}`)).toBe(true);
  });

  it("past the limit, takes the oldest sign-in's slot and displaces that session first", async () => {
    const { slots, displaced, claim } = slotsOf(3);
    // Claimed out of age order: the slot number says nothing about age.
    for (const n of [2, 0, 1]) await claim(n);
    const slot = await claim(3);
    expect(displaced).toEqual(["sid-0"]);
    expect(await slots.holds(user, slot!, "lineage-3")).toBe(true);
    expect(await slots.holds(user, slot!, "lineage-0")).toBe(false);
  });

  it("takes a slot whose session is over before a live one, displacing no live session", async () => {
    const { slots, displaced, over, claim } = slotsOf(3);
    for (const n of [0, 1, 2]) await claim(n);
    over.add("sid-1");
    const slot = await claim(3);
    expect(displaced).toEqual([]);
    expect(await slots.holds(user, slot!, "lineage-3")).toBe(true);
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
  });

  it("never takes a slot signed into moments ago for one that is over: its session may not be written yet", async () => {
    let at = 1_000_000;
    const { slots, displaced, over, deps } = slotsOf(2, { now: () => at });
    await slots.claim(user, { lineage: "old", signedInAt: at - 60_000 }, "sid-old", 60_000, deps);
    await slots.claim(user, { lineage: "new", signedInAt: at - 1_000 }, "sid-new", 60_000, deps);
    over.add("sid-new");
    const slot = await slots.claim(user, { lineage: "next", signedInAt: at }, "sid-next", 60_000, deps);
    expect(displaced).toEqual(["sid-old"]);
    expect(await slots.holds(user, slot!, "next")).toBe(true);
    // Once that moment has passed, a slot whose session is over goes first.
    // Exactly that moment later, a lookup decides: "next" is over, and goes before the live "new".
    at += 30_000;
    over.delete("sid-new");
    over.add("sid-next");
    await slots.claim(user, { lineage: "later", signedInAt: at }, "sid-later", 60_000, deps);
    expect(displaced).toEqual(["sid-old"]);
  });

  it("takes an unreadable slot (not sealed under this GATEWAY_SECRET) before any other", async () => {
    const { store, displaced, claim } = slotsOf(2);
    for (const n of [0, 1]) await claim(n);
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });
    await store.set(keyspace.key("session-slot", user.clientId, user.subject, "1"), Buffer.from("not sealed"), 60_000);
    expect(await claim(2)).toBe(1);
    expect(displaced).toEqual([]);
  });

  it("keeps users apart: one user's sign-ins never take another's slots", async () => {
    const { slots, displaced, claim } = slotsOf(1);
    await claim(0);
    await claim(1, { ...user, subject: "bob" });
    await claim(2, { ...user, clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-2" });
    expect(displaced).toEqual([]);
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
  });

  it("concurrent sign-ins past the limit each take a different slot: none is left holding none, and the oldest go", async () => {
    const { slots, displaced, claim } = slotsOf(3);
    for (const n of [0, 1, 2]) await claim(n);
    const taken = await Promise.all([3, 4, 5].map((n) => claim(n)));
    expect(new Set(taken).size).toBe(3);
    for (const [i, slot] of taken.entries()) expect(await slots.holds(user, slot!, `lineage-${3 + i}`)).toBe(true);
    expect(new Set(displaced)).toEqual(new Set(["sid-0", "sid-1", "sid-2"]));
  });

  it("takes the slot a displaced session gives back as it ends (a sign-out releases it), displacing no second session", async () => {
    const { slots, claim, deps } = slotsOf(2);
    const displaced: string[] = [];
    // As the service does: ending a session releases its slot.
    const releasing = {
      ...deps,
      displace: async (id: string) => {
        displaced.push(id);
        for (const slot of [0, 1]) await slots.release(user, slot, id.replace("sid-", "lineage-"));
      },
    };
    for (const n of [0, 1]) await claim(n);
    const slot = await slots.claim(user, holder(2), "sid-2", 60_000, releasing);
    expect(displaced).toEqual(["sid-0"]);
    expect(await slots.holds(user, slot!, "lineage-2")).toBe(true);
    expect(await slots.holds(user, 1 - slot!, "lineage-1")).toBe(true);
  });

  it("ends a displaced sign-in under the id its last refresh pointed it to, and a refresh never writes a slot", async () => {
    const { slots, displaced, claim } = slotsOf(1);
    await claim(0);
    await slots.pointTo("lineage-0", "sid-0-refreshed", 60_000);
    await claim(1);
    expect(displaced).toEqual(["sid-0-refreshed"]);
    // A refresh of the displaced sign-in finishing now leaves the slot with the sign-in that took it.
    await slots.pointTo("lineage-0", "sid-0-again", 60_000);
    expect(await slots.holds(user, 0, "lineage-1")).toBe(true);
  });

  it("frees a slot on release only for the sign-in it holds", async () => {
    const { slots, displaced, claim } = slotsOf(1);
    await expect(slots.release(user, 0, "lineage-0")).resolves.toBeUndefined();
    await claim(0);
    await slots.release(user, 0, "lineage-other");
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
    await slots.release(user, 0, "lineage-0");
    expect(await slots.holds(user, 0, "lineage-0")).toBe(false);
    await claim(1);
    expect(displaced).toEqual([]);
  });

  it("gives up after three rounds when other sign-ins keep taking every slot", async () => {
    const { store, slots, deps } = slotsOf(1);
    await slots.claim(user, holder(0), "sid-0", 60_000, deps);
    // A store where every take-over loses to another sign-in.
    let takeOvers = 0;
    const contended = { ...store, deleteIfEquals: async () => (takeOvers++, false) };
    const losing = createUserSessionSlots({ store: contended, keyspace: createKeyspace({ secret: Buffer.alloc(32, 3) }), limit: 1, now: () => 1_000_000 });
    expect(await losing.claim(user, holder(1), "sid-1", 60_000, deps)).toBeUndefined();
    expect(takeOvers).toBe(3);
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
  });

  it("reads again when the slot it read free is taken before it (another sign-in)", async () => {
    const { store, deps, displaced } = slotsOf(1);
    let raced = false;
    const racing = {
      ...store,
      // The free slot goes to a sign-in of another replica (its value unreadable here) between this one's read and its SET NX.
      setIfAbsent: async (key: string, value: Buffer, ttl: number) => {
        if (!raced) {
          raced = true;
          await store.setIfAbsent(key, Buffer.from("another replica's"), ttl);
        }
        return store.setIfAbsent(key, value, ttl);
      },
    };
    const slots = createUserSessionSlots({ store: racing, keyspace: createKeyspace({ secret: Buffer.alloc(32, 3) }), limit: 1, now: () => 1_000_000 });
    expect(await slots.claim(user, holder(0), "sid-0", 60_000, deps)).toBe(0);
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
    expect(displaced).toEqual([]);
  });

  it("takes a slot whose sign-in no longer leads to a session (its id key gone) for one that is over", async () => {
    const { store, slots, displaced, claim } = slotsOf(2);
    for (const n of [0, 1]) await claim(n);
    await store.delete(createKeyspace({ secret: Buffer.alloc(32, 3) }).key("session-lineage", "lineage-1"));
    const slot = await claim(2);
    expect(displaced).toEqual([]);
    expect(await slots.holds(user, slot!, "lineage-2")).toBe(true);
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
  });

  it("keeps one id key per slot however sign-ins end: a take-over removes the one it replaces, a sign-in that got no session its own", async () => {
    const { store, slots, over, deps } = slotsOf(2);
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });
    const idKeys = async () => {
      let count = 0;
      for (let n = 0; n < 60; n++) if ((await store.get(keyspace.key("session-lineage", `lineage-${n}`))) !== null) count++;
      return count;
    };
    // Sessions that end without giving their slot back (a sign-out everywhere, a refused refresh): every one is over.
    for (let n = 0; n < 50; n++) {
      await slots.claim(user, holder(n), `sid-${n}`, 60_000, deps);
      over.add(`sid-${n}`);
    }
    expect(await idKeys()).toBe(2);
    await slots.abandon("lineage-49");
    expect(await idKeys()).toBe(1);
  });

  it("seizes the oldest sign-in's slot after claiming gave up: the session written first, the one it replaced ended, concurrent seizes each ending another", async () => {
    const { slots, displaced, deps, claim } = slotsOf(2);
    // Claimed out of age order: sign-in 0, the oldest, holds slot 1.
    for (const n of [1, 0]) await claim(n);
    const order: string[] = [];
    const seizing = (n: number) => ({
      isLive: deps.isLive,
      displace: async (id: string) => void (order.push(`displace ${id}`), displaced.push(id)),
      write: async (index: number) => void order.push(`write ${n} in ${index}`),
    });
    expect(await slots.seize(user, holder(2), "sid-2", 60_000, seizing(2))).toBe(1);
    expect(order).toEqual(["write 2 in 1", "displace sid-0"]);
    expect(await slots.holds(user, 1, "lineage-2")).toBe(true);
    expect(await slots.holds(user, 0, "lineage-1")).toBe(true);
    // Three at once, all after slot 0 (now the oldest): the last holds it, each of the others ended by the one that replaced it.
    const taken = await Promise.all([3, 4, 5].map((n) => slots.seize(user, holder(n), `sid-${n}`, 60_000, seizing(n))));
    expect(taken).toEqual([0, 0, 0]);
    expect(displaced.sort()).toEqual(["sid-0", "sid-1", "sid-3", "sid-4"]);
    expect(await slots.holds(user, 0, "lineage-5")).toBe(true);
    expect(await slots.holds(user, 1, "lineage-2")).toBe(true);
  });

  it("keeps a slot for the TTL it was given (the session's absolute expiry), then lets it go", async () => {
    const { slots, deps } = slotsOf(1);
    await slots.claim(user, holder(0), "sid-0", 80, deps);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await slots.holds(user, 0, "lineage-0")).toBe(false);
  });

  it("keeps neither the subject nor a session id in clear in the store", async () => {
    const { store, deps } = slotsOf(1);
    const seen: string[] = [];
    const recording = { ...store, set: (key: string, value: Buffer, ttl: number) => (seen.push(key, value.toString("latin1")), store.set(key, value, ttl)) };
    const spied = createUserSessionSlots({ store: recording, keyspace: createKeyspace({ secret: Buffer.alloc(32, 3) }), limit: 1 });
    await spied.claim(user, holder(0), "sid-0", 60_000, deps);
    await spied.pointTo("lineage-0", "sid-0-refreshed", 60_000);
    expect(seen.length).toBeGreaterThan(0);
    for (const text of seen) {
      expect(text).not.toContain("alice");
      expect(text).not.toContain("sid-");
    }
  });

  it("refuses a limit outside 1 to 100, naming the variable", () => {
    const store = createMemoryStore();
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });
    for (const limit of [0, 101, 1.5, Number.NaN]) {
      expect(() => createUserSessionSlots({ store, keyspace, limit })).toThrow(/SESSION_MAX_PER_USER/);
    }
    expect(createUserSessionSlots({ store, keyspace, limit: 100 }).limit).toBe(100);
  });
});

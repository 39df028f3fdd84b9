import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createSessionsWithoutSubject } from "../../../src/sessions/sessions-without-subject.js";
import { createUserSessionSlots, type SlotHolder } from "../../../src/sessions/user-session-slots.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";

const user = { clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-1", subject: "alice" };
const holder = (n: number): SlotHolder => ({ lineage: `lineage-${n}`, sessionId: `sid-${n}`, signedInAt: 1_000 + n });

function slotsOf(limit: number, secret = Buffer.alloc(32, 3)) {
  const store = createMemoryStore();
  const slots = createUserSessionSlots({ store, keyspace: createKeyspace({ secret }), limit });
  const displaced: string[] = [];
  const over = new Set<string>();
  const deps = { isLive: async (id: string) => !over.has(id), displace: async (id: string) => void displaced.push(id) };
  return { store, slots, displaced, over, deps };
}

describe("user session slots (SESSION_MAX_PER_USER)", () => {
  it("gives each sign-in a free slot while there is one, displacing no one", async () => {
    const { slots, displaced, deps } = slotsOf(3);
    expect(await Promise.all([0, 1, 2].map((n) => slots.claim(user, holder(n), 60_000, deps)))).toEqual(expect.arrayContaining([0, 1, 2]));
    expect(displaced).toEqual([]);
    for (const n of [0, 1, 2]) expect(await slots.holds(user, n, `lineage-${n}`)).toBe(true);
  });

  it("past the limit, takes the oldest sign-in's slot and displaces that session first", async () => {
    const { slots, displaced, deps } = slotsOf(3);
    // Claimed out of age order: the slot number says nothing about age.
    for (const n of [2, 0, 1]) await slots.claim(user, holder(n), 60_000, deps);
    const slot = await slots.claim(user, holder(3), 60_000, deps);
    expect(displaced).toEqual(["sid-0"]);
    expect(await slots.holds(user, slot, "lineage-3")).toBe(true);
    expect(await slots.holds(user, slot, "lineage-0")).toBe(false);
  });

  it("takes a slot whose session is over before a live one, displacing no live session", async () => {
    const { slots, displaced, over, deps } = slotsOf(3);
    for (const n of [0, 1, 2]) await slots.claim(user, holder(n), 60_000, deps);
    over.add("sid-1");
    const slot = await slots.claim(user, holder(3), 60_000, deps);
    expect(displaced).toEqual([]);
    expect(await slots.holds(user, slot, "lineage-3")).toBe(true);
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
  });

  it("takes an unreadable slot (not sealed under this GATEWAY_SECRET) before any other", async () => {
    const { store, slots, displaced, deps } = slotsOf(2);
    for (const n of [0, 1]) await slots.claim(user, holder(n), 60_000, deps);
    // What another GATEWAY_SECRET sealed does not open under this one: bytes this secret did not seal stand for it.
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });
    await store.set(keyspace.key("session-slot", user.clientId, user.subject, "1"), Buffer.from("not sealed"), 60_000);
    expect(await slots.claim(user, holder(2), 60_000, deps)).toBe(1);
    expect(displaced).toEqual([]);
  });

  it("keeps users apart: one user's sign-ins never take another's slots", async () => {
    const { slots, displaced, deps } = slotsOf(1);
    await slots.claim(user, holder(0), 60_000, deps);
    await slots.claim({ ...user, subject: "bob" }, holder(1), 60_000, deps);
    expect(displaced).toEqual([]);
    await slots.claim({ ...user, clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-2" }, holder(2), 60_000, deps);
    expect(displaced).toEqual([]);
    expect(await slots.holds(user, 0, "lineage-0")).toBe(true);
  });

  it("moves a slot to a refreshed session's new id, and leaves a slot another sign-in took alone", async () => {
    const { slots, displaced, deps } = slotsOf(1);
    await slots.claim(user, holder(0), 60_000, deps);
    await slots.moved(user, 0, { ...holder(0), sessionId: "sid-0-refreshed" }, 60_000);
    await slots.claim(user, holder(1), 60_000, deps);
    expect(displaced).toEqual(["sid-0-refreshed"]);

    await slots.moved(user, 0, { ...holder(0), sessionId: "sid-0-again" }, 60_000);
    expect(await slots.holds(user, 0, "lineage-1")).toBe(true);
  });

  it("lets a slot go when its TTL ends (the session's absolute expiry)", async () => {
    const { slots, deps } = slotsOf(1);
    await slots.claim(user, holder(0), 30, deps);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await slots.holds(user, 0, "lineage-0")).toBe(false);
  });

  it("keeps neither the subject nor a session id in clear in the store", async () => {
    const { store, deps } = slotsOf(1);
    const seen: string[] = [];
    const recording = { ...store, set: (key: string, value: Buffer, ttl: number) => (seen.push(key, value.toString("latin1")), store.set(key, value, ttl)) };
    const spied = createUserSessionSlots({ store: recording, keyspace: createKeyspace({ secret: Buffer.alloc(32, 3) }), limit: 1 });
    await spied.claim(user, holder(0), 60_000, deps);
    await spied.claim(user, holder(1), 60_000, deps);
    expect(seen.length).toBeGreaterThan(0);
    for (const text of seen) {
      expect(text).not.toContain("alice");
      expect(text).not.toContain("sid-");
    }
  });

  it("refuses a limit outside 1 to 1000, naming the variable", () => {
    const store = createMemoryStore();
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });
    for (const limit of [0, 1001, 1.5, Number.NaN]) {
      expect(() => createUserSessionSlots({ store, keyspace, limit })).toThrow(/SESSION_MAX_PER_USER/);
    }
  });
});

describe("sessions without an ID token per caller (SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER)", () => {
  const counters = (limit: number, windowMs = 60_000) =>
    createSessionsWithoutSubject({ store: createMemoryStore(), keyspace: createKeyspace({ secret: Buffer.alloc(32, 5) }), limit, windowMs });

  it("lets a caller start its allowance, then refuses it with RATE_LIMITED naming the variable, and no other caller", async () => {
    const limits = counters(2, 3_600_000);
    for (let i = 0; i < 2; i++) {
      await limits.check("10.0.0.1");
      await limits.count("10.0.0.1");
    }
    const refused = await limits.check("10.0.0.1").then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe("RATE_LIMITED");
    expect((refused as GatewayError).message).toContain("SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=2");
    expect((refused as GatewayError).details).toMatchObject({ retryAfterSeconds: 3600 });
    await expect(limits.check("10.0.0.2")).resolves.toBeUndefined();
  });

  it("counts over one window: the caller is served again once it ends", async () => {
    const limits = counters(1, 40);
    await limits.count("10.0.0.3");
    await expect(limits.check("10.0.0.3")).rejects.toThrow(/SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER/);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(limits.check("10.0.0.3")).resolves.toBeUndefined();
  });
});

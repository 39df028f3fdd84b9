import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createOutageWrites, type CarryPolicy } from "../../../src/store/outage-writes.js";
import { StoreUnavailableError } from "../../../src/store/store-errors.js";
import type { Store } from "../../../src/store/store.types.js";

const POLICIES: Record<string, CarryPolicy> = {
  o: { replay: "overwrite" },
  a: { replay: "if-absent" },
  g: { replay: "greatest", priority: true },
  p: { replay: "overwrite", priority: true },
};
const carries = (key: string): CarryPolicy | undefined => POLICIES[key.split(":")[0]!];
const bytes = (text: string) => Buffer.from(text, "utf8");

/** Writes `value` to the fallback and notes it, as the resilient store does for a write the fallback served. */
async function write(writes: ReturnType<typeof createOutageWrites>, fallback: Store, key: string, value: string, ttlMs = 10_000) {
  await fallback.set(key, bytes(value), ttlMs);
  writes.noteSet(key, ttlMs, bytes(value));
}

describe("createOutageWrites", () => {
  it("remembers at most maxEntries ordinary keys, forgetting the oldest and counting them once; priority keys are never pushed out by them", async () => {
    const writes = createOutageWrites({ carries, maxEntries: 2 });
    const fallback = createMemoryStore();
    const primary = createMemoryStore();
    await write(writes, fallback, "p:revoked", "revoked");
    for (const key of ["o:1", "o:2", "o:3"]) await write(writes, fallback, key, key);
    writes.noteSet("other:1", 10_000, bytes("x"));
    expect(writes.size).toBe(3);
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 3, forgotten: 1 });
    expect(await primary.get("o:1")).toBeNull();
    expect(await primary.get("o:3")).toEqual(bytes("o:3"));
    expect(await primary.get("p:revoked")).toEqual(bytes("revoked"));
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 0, forgotten: 0 });
  });

  it("holds a priority key's small value itself: replayed though the fallback evicted it", async () => {
    const writes = createOutageWrites({ carries, maxEntries: 10 });
    const fallback = createMemoryStore({ maxEntries: 1 });
    const primary = createMemoryStore();
    await write(writes, fallback, "p:revoked", "revoked");
    await write(writes, fallback, "o:evicts-it", "x");
    expect(await fallback.get("p:revoked")).toBeNull();
    await writes.carryOver(primary, fallback);
    expect(await primary.get("p:revoked")).toEqual(bytes("revoked"));
  });

  it("replays by policy over what another replica wrote since: overwrite replaces, if-absent keeps theirs, greatest keeps the greater number; removals delete", async () => {
    const writes = createOutageWrites({ carries, maxEntries: 10 });
    const fallback = createMemoryStore();
    const primary = createMemoryStore();
    for (const [key, value] of [["o:k", "theirs"], ["a:k", "theirs"], ["a:gone", "theirs"], ["g:older", "200"], ["g:newer", "50"], ["o:removed", "theirs"]] as const) await primary.set(key, bytes(value), 60_000);
    await write(writes, fallback, "o:k", "ours");
    await write(writes, fallback, "a:k", "ours");
    await write(writes, fallback, "a:new", "ours");
    await write(writes, fallback, "g:older", "100");
    await write(writes, fallback, "g:newer", "100");
    await write(writes, fallback, "g:new", "100");
    await write(writes, fallback, "o:removed", "ours");
    writes.noteDelete("o:removed");
    expect((await writes.carryOver(primary, fallback)).carried).toBe(5);
    const read = async (key: string) => (await primary.get(key))?.toString("utf8") ?? null;
    expect([await read("o:k"), await read("a:k"), await read("a:new")]).toEqual(["ours", "theirs", "ours"]);
    expect([await read("g:older"), await read("g:newer"), await read("g:new")]).toEqual(["200", "100", "100"]);
    expect(await read("o:removed")).toBeNull();
  });

  it("keeps what a failing primary did not take, unless a newer write replaced it meanwhile", async () => {
    let now = 1_000;
    const writes = createOutageWrites({ carries, maxEntries: 10, now: () => now });
    const fallback = createMemoryStore();
    const real = createMemoryStore();
    let failing = true;
    const primary: Store = { ...real, set: (key, value, ttlMs) => (failing ? Promise.reject(new StoreUnavailableError("down")) : real.set(key, value, ttlMs)) };
    await write(writes, fallback, "o:kept", "v");
    writes.noteDelete("o:gone");
    await expect(writes.carryOver(primary, fallback)).rejects.toThrow(StoreUnavailableError);
    // The delete landed; the set is kept for the next try.
    expect(writes.size).toBe(1);
    now += 4_000;
    failing = false;
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 1, forgotten: 0 });
    expect(await real.get("o:kept")).toEqual(bytes("v"));
  });

  it("replays a value with what is left of its TTL, and skips one that expired or left the fallback", async () => {
    let now = 0;
    const writes = createOutageWrites({ carries, maxEntries: 10, now: () => now });
    const fallback = createMemoryStore();
    const ttls: number[] = [];
    const real = createMemoryStore();
    const primary: Store = { ...real, set: (key, value, ttlMs) => (ttls.push(ttlMs), real.set(key, value, ttlMs)) };
    await fallback.set("o:live", bytes("v"), 60_000);
    writes.noteSet("o:live", 10_000, bytes("v"));
    writes.noteSet("o:expired", 1_000, bytes("v"));
    writes.noteSet("o:evicted", 60_000, bytes("v"));
    now = 3_000;
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 1, forgotten: 0 });
    expect(ttls).toEqual([7_000]);
  });

  it("stops after a few passes when writes keep arriving, and hands over what is left (priority first) to be replayed after the switch", async () => {
    const writes = createOutageWrites({ carries, maxEntries: 100 });
    const fallback = createMemoryStore();
    const real = createMemoryStore();
    let next = 0;
    // Each replayed write is followed by a new outage write, as requests still served by the fallback would make.
    const primary: Store = { ...real, set: async (key, value, ttlMs) => { await real.set(key, value, ttlMs); await write(writes, fallback, `o:${++next}`, "v"); } };
    await write(writes, fallback, "o:0", "v");
    expect((await writes.carryOver(primary, fallback)).carried).toBe(3);
    await write(writes, fallback, "p:revoked", "revoked");
    const pending = writes.drain();
    expect(pending.map(([key]) => key)).toEqual(["p:revoked", "o:3"]);
    expect(writes.size).toBe(0);
    expect(await writes.replay(real, fallback, pending[0]!)).toBe(true);
    expect(await real.get("p:revoked")).toEqual(bytes("revoked"));
  });

  it("notes a handed-over write again when its replay failed, unless the key was written since", async () => {
    const writes = createOutageWrites({ carries, maxEntries: 10 });
    const fallback = createMemoryStore();
    await write(writes, fallback, "o:a", "1");
    await write(writes, fallback, "o:b", "1");
    const [a, b] = writes.drain();
    await write(writes, fallback, "o:b", "2");
    writes.restore(...a!);
    writes.restore(...b!);
    const primary = createMemoryStore();
    await writes.carryOver(primary, fallback);
    expect((await primary.get("o:a"))?.toString()).toBe("1");
    expect((await primary.get("o:b"))?.toString()).toBe("2");
  });

  it("counts an equal sign-out mark as Redis's (nothing replaced), and replays a value whose TTL ends exactly now as expired", async () => {
    let now = 0;
    const writes = createOutageWrites({ carries, maxEntries: 10, now: () => now });
    const fallback = createMemoryStore();
    const primary = createMemoryStore();
    await primary.set("g:equal", bytes("100"), 60_000);
    await write(writes, fallback, "g:equal", "100");
    await fallback.set("o:ends-now", bytes("v"), 60_000);
    writes.noteSet("o:ends-now", 1_000, bytes("v"));
    now = 1_000;
    expect((await writes.carryOver(primary, fallback)).carried).toBe(0);
    expect(await primary.get("o:ends-now")).toBeNull();
  });

  it("holds only small priority values, and none past their TTL", async () => {
    let now = 0;
    const writes = createOutageWrites({ carries, maxEntries: 10, now: () => now });
    writes.noteSet("p:small", 1_000, Buffer.alloc(64, 1));
    writes.noteSet("p:large", 1_000, Buffer.alloc(65, 1));
    writes.noteSet("o:ordinary", 1_000, bytes("v"));
    expect(writes.held("p:small")).toEqual(Buffer.alloc(64, 1));
    expect(writes.held("p:large")).toBeUndefined();
    expect(writes.held("o:ordinary")).toBeUndefined();
    now = 1_000;
    expect(writes.held("p:small")).toBeUndefined();
  });

  it("keeps a priority key's removal apart too: ordinary writes past the bound do not push it out, restored or not", async () => {
    const writes = createOutageWrites({ carries, maxEntries: 2 });
    const fallback = createMemoryStore();
    const primary = createMemoryStore();
    await primary.set("p:forgotten", bytes("x"), 60_000);
    await primary.set("p:restored", bytes("x"), 60_000);
    writes.noteDelete("p:forgotten");
    writes.noteDelete("p:restored");
    const drained = writes.drain();
    writes.noteDelete("p:forgotten");
    writes.restore(...drained.find(([key]) => key === "p:restored")!);
    for (const key of ["o:1", "o:2", "o:3"]) await write(writes, fallback, key, key);
    await writes.carryOver(primary, fallback);
    expect([await primary.get("p:forgotten"), await primary.get("p:restored")]).toEqual([null, null]);
  });

  it("does not restore a handed-over removal over a newer write of the key", async () => {
    const writes = createOutageWrites({ carries, maxEntries: 10 });
    const fallback = createMemoryStore();
    const primary = createMemoryStore();
    writes.noteDelete("o:c");
    const [removal] = writes.drain();
    await write(writes, fallback, "o:c", "newer");
    writes.restore(...removal!);
    await writes.carryOver(primary, fallback);
    expect((await primary.get("o:c"))?.toString()).toBe("newer");
  });

  it("hands over priority writes first, removals and restored writes in their own kind's list", () => {
    const writes = createOutageWrites({ carries, maxEntries: 10 });
    writes.noteSet("o:set", 1_000, bytes("v"));
    writes.noteDelete("o:removed");
    writes.noteDelete("p:removed");
    writes.noteSet("p:set", 1_000, bytes("v"));
    const drained = writes.drain();
    expect(drained.map(([key]) => key)).toEqual(["p:removed", "p:set", "o:set", "o:removed"]);
    for (const entry of [...drained].reverse()) writes.restore(...entry);
    expect(writes.drain().map(([key]) => key)).toEqual(["p:set", "p:removed", "o:removed", "o:set"]);
  });
});

describe("a lock's release during an outage (replay: release)", () => {
  it("replays only an owner-checked release the fallback could not serve, after every other write, and never the lock's acquisition or removal", async () => {
    const primary = createMemoryStore();
    const fallback = createMemoryStore();
    const order: string[] = [];
    const watched = { ...primary, set: (key: string, value: Buffer, ttlMs: number) => (order.push(`set ${key}`), primary.set(key, value, ttlMs)), deleteIfEquals: (key: string, expected: Buffer) => (order.push(`release ${key}`), primary.deleteIfEquals(key, expected)) };
    const writes = createOutageWrites({ carries: (key) => (key.startsWith("lock") ? { replay: "release" } : { replay: "overwrite" }), maxEntries: 10 });
    const owner = Buffer.from("owner");
    await primary.set("lock-before", owner, 60_000);
    await primary.set("lock-other", Buffer.from("someone else"), 60_000);
    writes.noteRelease("lock-before", owner);
    writes.noteSet("answer", 60_000, Buffer.from("successor"));
    await fallback.set("answer", Buffer.from("successor"), 60_000);
    writes.noteSet("lock-during", 60_000, owner);
    writes.noteDelete("lock-during");
    writes.noteRelease("lock-other", owner);
    await writes.carryOver(watched, fallback);
    expect(order).toEqual(["set answer", "release lock-before", "release lock-other"]);
    expect(await primary.get("lock-before")).toBeNull();
    expect((await primary.get("lock-other"))?.toString()).toBe("someone else");
    expect(await primary.get("lock-during")).toBeNull();
  });
});

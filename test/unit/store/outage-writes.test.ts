import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createOutageWrites } from "../../../src/store/outage-writes.js";
import { StoreUnavailableError } from "../../../src/store/store-errors.js";
import type { Store } from "../../../src/store/store.types.js";

const carried = (key: string) => key.startsWith("c:");

describe("createOutageWrites", () => {
  it("remembers at most maxEntries keys, forgetting the oldest and counting them once", async () => {
    const writes = createOutageWrites({ carries: carried, maxEntries: 2 });
    const fallback = createMemoryStore();
    const primary = createMemoryStore();
    for (const key of ["c:1", "c:2", "c:3"]) {
      await fallback.set(key, Buffer.from(key), 10_000);
      writes.noteSet(key, 10_000);
    }
    writes.noteSet("other", 10_000);
    expect(writes.size).toBe(2);
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 2, forgotten: 1 });
    expect(await primary.get("c:1")).toBeNull();
    expect(await primary.get("c:3")).toEqual(Buffer.from("c:3"));
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 0, forgotten: 0 });
  });

  it("keeps what a failing primary did not take, unless a newer write replaced it meanwhile", async () => {
    let now = 1_000;
    const writes = createOutageWrites({ carries: carried, maxEntries: 10, now: () => now });
    const fallback = createMemoryStore();
    const real = createMemoryStore();
    let failing = true;
    const primary: Store = { ...real, set: (key, value, ttlMs) => (failing ? Promise.reject(new StoreUnavailableError("down")) : real.set(key, value, ttlMs)) };
    await fallback.set("c:kept", Buffer.from("v"), 10_000);
    writes.noteSet("c:kept", 10_000);
    writes.noteDelete("c:gone");
    await expect(writes.carryOver(primary, fallback)).rejects.toThrow(StoreUnavailableError);
    // The delete landed; the set is kept for the next try.
    expect(writes.size).toBe(1);
    now += 4_000;
    failing = false;
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 1, forgotten: 0 });
    expect(await real.get("c:kept")).toEqual(Buffer.from("v"));
  });

  it("replays a value with what is left of its TTL, and skips one that expired or left the fallback", async () => {
    let now = 0;
    const writes = createOutageWrites({ carries: carried, maxEntries: 10, now: () => now });
    const fallback = createMemoryStore();
    const ttls: number[] = [];
    const real = createMemoryStore();
    const primary: Store = { ...real, set: (key, value, ttlMs) => (ttls.push(ttlMs), real.set(key, value, ttlMs)) };
    await fallback.set("c:live", Buffer.from("v"), 60_000);
    writes.noteSet("c:live", 10_000);
    writes.noteSet("c:expired", 1_000);
    writes.noteSet("c:evicted", 60_000);
    now = 3_000;
    expect(await writes.carryOver(primary, fallback)).toEqual({ carried: 1, forgotten: 0 });
    expect(ttls).toEqual([7_000]);
  });
});

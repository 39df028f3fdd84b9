import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import { StoreUnavailableError, type StoreFailureCause } from "../../../src/store/store-errors.js";
import type { Store } from "../../../src/store/store.types.js";

/**
 * getKeptThroughOutage: while degraded because the shared store refuses writes (it still reads), a
 * key the stand-in lacks is read from the shared store; while it is unreachable, or healthy, it is get.
 * (The gateway-level proof, on a real Redis at maxmemory: test/integration/store/revocation-through-outage.test.ts.)
 */
function primaryThat(failure: StoreFailureCause | undefined, contents: Record<string, string>): Store {
  const store = createMemoryStore();
  for (const [key, value] of Object.entries(contents)) void store.set(key, Buffer.from(value), 60_000);
  const refuse = async (): Promise<never> => {
    throw new StoreUnavailableError("test", failure);
  };
  if (failure === undefined) return store;
  return {
    ...store,
    kind: "redis",
    set: refuse,
    setIfAbsent: refuse,
    ...(failure === "unreachable" ? { get: refuse } : {}),
    health: async () => ({ ok: false, status: "down", detail: failure === "writes-refused" ? "redis refuses writes (OOM)" : "redis unreachable (test)" }),
  };
}

describe("createResilientStore: getKeptThroughOutage", () => {
  it("reads what the shared store held before it began refusing writes, and prefers what was written since", async () => {
    const store = createResilientStore({ primary: primaryThat("writes-refused", { before: "kept", both: "old" }) });
    await store.set("both", Buffer.from("new"), 60_000); // refused by the primary: the store is degraded from here
    expect((await store.health()).status).toBe("degraded");
    expect(await store.get("before")).toBeNull();
    expect(await store.getKeptThroughOutage!("before")).toEqual(Buffer.from("kept"));
    expect(await store.getKeptThroughOutage!("both")).toEqual(Buffer.from("new"));
    expect(await store.getKeptThroughOutage!("never")).toBeNull();
    await store.close();
  });

  it("reads a key removed during the outage as removed, not as what the shared store held before (a carried removal)", async () => {
    const store = createResilientStore({
      primary: primaryThat("writes-refused", { forgotten: "issued before", kept: "issued before" }),
      carriedThroughOutage: (key) => (key === "forgotten" || key === "kept" ? { replay: "if-absent" } : undefined),
    });
    await store.set("other", Buffer.from("x"), 60_000); // refused by the primary: degraded from here
    expect((await store.health()).status).toBe("degraded");
    // A signed-out session's identity context, forgotten while Redis refuses writes: it stays forgotten.
    await store.delete("forgotten");
    expect(await store.getKeptThroughOutage!("forgotten")).toBeNull();
    expect(await store.getKeptThroughOutage!("kept")).toEqual(Buffer.from("issued before"));
    // Written again after its removal: the new value.
    await store.set("forgotten", Buffer.from("again"), 60_000);
    expect(await store.getKeptThroughOutage!("forgotten")).toEqual(Buffer.from("again"));
    await store.close();
  });

  it("is get while the shared store is unreachable (nothing more can be read)", async () => {
    const store = createResilientStore({ primary: primaryThat("unreachable", { before: "kept" }) });
    await store.set("after", Buffer.from("local"), 60_000);
    expect(await store.getKeptThroughOutage!("before")).toBeNull();
    expect(await store.getKeptThroughOutage!("after")).toEqual(Buffer.from("local"));
    await store.close();
  });
});

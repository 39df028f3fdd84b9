import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import { StoreUnavailableError } from "../../../src/store/store-errors.js";
import type { Store, StoreLogger } from "../../../src/store/store.types.js";

/**
 * The error line a refusal to write logs says what to look at, by Redis' error: with replicas (Sentinel), READONLY
 * (a connection left on a demoted primary) and NOREPLICAS (min-replicas-to-write) are not memory.
 */
function refusing(reply: string): Store {
  const store = createMemoryStore();
  return {
    ...store,
    kind: "redis",
    set: async () => {
      throw new StoreUnavailableError(reply, "writes-refused");
    },
  };
}

async function errorLineFor(reply: string): Promise<string> {
  const errors: string[] = [];
  const logger: StoreLogger = { debug() {}, info() {}, warn() {}, error: (_fields, message) => void errors.push(message) };
  const store = createResilientStore({ primary: refusing(reply), logger });
  await store.set("k", Buffer.from("v"), 1_000);
  await store.close();
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

describe("createResilientStore: the line a refusal to write logs", () => {
  it("points at memory for OOM, at the failover for READONLY, at the replicas for NOREPLICAS, at the disk for MISCONF", async () => {
    expect(await errorLineFor("OOM command not allowed when used memory > 'maxmemory'.")).toMatch(/\(free memory or raise maxmemory\)$/);
    expect(await errorLineFor("READONLY You can't write against a read only replica.")).toMatch(/\(the connection reached a replica: check the Sentinels' primary and the failover\)$/);
    expect(await errorLineFor("NOREPLICAS Not enough good replicas to write.")).toMatch(/\(too few replicas in sync for min-replicas-to-write: check the replicas\)$/);
    expect(await errorLineFor("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.")).toMatch(/\(redis cannot save its snapshot: check its disk and logs\)$/);
  });
});

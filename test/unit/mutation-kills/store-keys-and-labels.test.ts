import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore, SealedValueError } from "../../../src/store/index.js";

/**
 * Keys are shared by replicas of different versions during a rolling upgrade: the derivation is a
 * contract, pinned here by a known answer (a change splits every replica's locks, cache and families).
 */
describe("keyspace derivation", () => {
  it("derives the same key as every earlier version for string, non-ASCII and binary fields", () => {
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 1) });
    expect(keyspace.key("sf-lock", "é", Buffer.from([0, 255]), "ascii")).toBe("idc:v1:sf-lock:OMFC5h3Dsq5eCQ3VzjzKHOPCTjRZ-J4RiugQDgBxMoM");
  });

  it("refuses a purpose that is not lowercase words joined by dashes", () => {
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 1) });
    for (const purpose of ["Sf-lock", "sf lock", "-sf", "", 7]) {
      expect(() => keyspace.key(purpose as string, "x")).toThrow(new TypeError(`keyspace.key: purpose must be lowercase words joined by dashes, e.g. "sf-lock" (got ${JSON.stringify(purpose)})`));
    }
  });

  it("names its refusal to open a value SealedValueError", () => {
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 1) });
    const refusal = (() => {
      try {
        keyspace.open("k", Buffer.alloc(3));
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(SealedValueError);
    expect(refusal).toMatchObject({ name: "SealedValueError", message: "stored value cannot be opened: too short to be a sealed value" });
  });
});

describe("memory store argument labels", () => {
  const store = createMemoryStore();
  const value = Buffer.from("v");
  const KEY = new TypeError('key must be a non-empty string (got "")');
  const CHANNEL = new TypeError('channel must be a non-empty string (got "")');

  it("names the key every keyed operation was given wrong", async () => {
    await expect(store.delete("")).rejects.toThrow(KEY);
    await expect(store.setIfAbsent("", value, 1000)).rejects.toThrow(KEY);
    await expect(store.deleteIfEquals("", value)).rejects.toThrow(KEY);
    await expect(store.increment("", 1000)).rejects.toThrow(KEY);
    await expect(store.set("", value, 1000)).rejects.toThrow(KEY);
  });

  it("names the buffer argument each operation was given wrong", async () => {
    await expect(store.setIfAbsent("k", "v" as never, 1000)).rejects.toThrow(new TypeError("value must be a Buffer (got string)"));
    await expect(store.deleteIfEquals("k", "v" as never)).rejects.toThrow(new TypeError("expected must be a Buffer (got string)"));
    await expect(store.publish("c", "v" as never)).rejects.toThrow(new TypeError("message must be a Buffer (got string)"));
  });

  it("names the channel of pub/sub", async () => {
    await expect(store.publish("", value)).rejects.toThrow(CHANNEL);
    await expect(store.subscribe("", () => {})).rejects.toThrow(CHANNEL);
  });
});

describe("keyspace secret", () => {
  it("refuses a missing options object with its own message, not a property-access crash", () => {
    expect(() => createKeyspace(undefined as never)).toThrow(new TypeError("createKeyspace: secret must be a Buffer of at least 32 bytes (got undefined)"));
  });
});

import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import { createSingleFlight, type SingleFlightCodec } from "../../../src/coordination/single-flight.js";

/** What the store-backed single-flight tells a caller who wires or calls it wrong (a JavaScript caller, or a cast). */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 17) });
const text: SingleFlightCodec<string> = { encode: (value) => Buffer.from(value), decode: (bytes) => bytes.toString() };
const timings = { lockTtlMs: 1_000, waitTimeoutMs: 1_000 };

describe("createSingleFlight arguments", () => {
  it("refuses missing options or a missing store, naming the store", () => {
    const refusal = new TypeError("createSingleFlight: store must be a Store");
    expect(() => createSingleFlight(undefined as never)).toThrow(refusal);
    expect(() => createSingleFlight({ ...timings, keyspace, store: undefined as never })).toThrow(refusal);
  });

  it("refuses a missing keyspace, naming it", () => {
    expect(() => createSingleFlight({ ...timings, store: createMemoryStore(), keyspace: undefined as never })).toThrow(
      new TypeError("createSingleFlight: keyspace must come from createKeyspace"),
    );
  });

  it("refuses an empty key or one that is not a string, before running fn", () => {
    const flights = createSingleFlight({ ...timings, store: createMemoryStore(), keyspace });
    let ran = false;
    const fn = async () => { ran = true; return "x"; };
    for (const key of ["", 42 as never]) expect(() => flights.run(key, fn, text)).toThrow(new TypeError("singleFlight.run: key must be a non-empty string"));
    expect(ran).toBe(false);
  });
});

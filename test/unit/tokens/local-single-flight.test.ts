import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import type { SingleFlightCodec } from "../../../src/coordination/single-flight.js";

const text: SingleFlightCodec<string> = { encode: (value) => Buffer.from(value), decode: (bytes) => bytes.toString() };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("createLocalSingleFlight (one process, memory store)", () => {
  it("makes 50 concurrent calls with one key share one fn call: one leader, 49 followers, one value", async () => {
    const flight = createLocalSingleFlight();
    let calls = 0;
    const fn = async () => {
      calls += 1;
      await sleep(20);
      return "token-A";
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => flight.run("same", fn, text)));
    expect(calls).toBe(1);
    expect(results.filter((result) => result.role === "leader")).toEqual([{ value: "token-A", role: "leader" }]);
    expect(results.filter((result) => result.role === "follower")).toEqual(Array(49).fill({ value: "token-A", role: "follower" }));
  });

  it("runs fn again for a call arriving after the flight finished (nothing is replayed)", async () => {
    const flight = createLocalSingleFlight();
    let calls = 0;
    const fn = async () => `token-${++calls}`;
    expect(await flight.run("single-use", fn, text)).toEqual({ value: "token-1", role: "leader" });
    expect(await flight.run("single-use", fn, text)).toEqual({ value: "token-2", role: "leader" });
  });

  it("keeps different keys apart", async () => {
    const flight = createLocalSingleFlight();
    const results = await Promise.all([flight.run("a", async () => "A", text), flight.run("b", async () => "B", text)]);
    expect(results).toEqual([{ value: "A", role: "leader" }, { value: "B", role: "leader" }]);
  });

  it("throws the leader's error, asynchronous or synchronous, to every waiter and frees the key", async () => {
    const flight = createLocalSingleFlight();
    const error = new GatewayError("INVALID_GRANT", "The grant was refused.");
    let calls = 0;
    const failing = (): Promise<string> => {
      calls += 1;
      throw error;
    };
    const outcomes = await Promise.allSettled([flight.run("bad", failing, text), flight.run("bad", failing, text)]);
    expect(outcomes).toEqual([{ status: "rejected", reason: error }, { status: "rejected", reason: error }]);
    expect(calls).toBe(1);
    expect(await flight.run("bad", async () => "recovered", text)).toEqual({ value: "recovered", role: "leader" });
  });

  it("refuses an empty key, and one that is not a string (a JavaScript caller's), before running fn", () => {
    let ran = false;
    const fn = async () => { ran = true; return "x"; };
    expect(() => createLocalSingleFlight().run("", fn, text)).toThrow("singleFlight.run: key must be a non-empty string");
    expect(() => createLocalSingleFlight().run(42 as never, fn, text)).toThrow("singleFlight.run: key must be a non-empty string");
    expect(ran).toBe(false);
  });
});

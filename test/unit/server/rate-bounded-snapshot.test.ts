import { describe, expect, it } from "vitest";
import { createRateBoundedSnapshot } from "../../../src/server/rate-bounded-snapshot.js";

/** The bound behind /readyz's store probes and /metrics' renderings (rate-bounded-snapshot.ts), on a clock the test moves. */
function counting(maxPerSecond: number) {
  let now = 0;
  let produced = 0;
  let release: (() => void) | undefined;
  let hold = false;
  let fail = false;
  const snapshot = createRateBoundedSnapshot(async () => {
    produced += 1;
    const value = produced;
    if (hold) await new Promise<void>((resolve) => (release = resolve));
    if (fail) throw new Error(`production ${value} failed`);
    return value;
  }, { maxPerSecond, now: () => now });
  return {
    snapshot,
    produced: () => produced,
    advance: (ms: number) => { now += ms; },
    holdNext: () => { hold = true; },
    release: () => { hold = false; release?.(); },
    failing: (on: boolean) => { fail = on; },
  };
}

describe("createRateBoundedSnapshot", () => {
  it("produces a fresh value for each ask up to maxPerSecond in a second, then answers the last one until a second has passed since the oldest", async () => {
    const { snapshot, produced, advance } = counting(3);
    expect([await snapshot.get(), await snapshot.get(), await snapshot.get()]).toEqual([1, 2, 3]);
    for (let i = 0; i < 100; i++) expect(await snapshot.get()).toBe(3);
    expect(produced()).toBe(3);
    advance(999);
    expect(await snapshot.get()).toBe(3);
    advance(1);
    expect(await snapshot.get()).toBe(4);
    expect(await snapshot.get()).toBe(5); // the other two of the first second are a second old too
  });

  it("asks a few times a second see a fresh value every time", async () => {
    const { snapshot, advance } = counting(5);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      seen.push(await snapshot.get());
      advance(250);
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("shares one production among asks that come while it runs", async () => {
    const { snapshot, produced, holdNext, release } = counting(5);
    holdNext();
    const asks = Array.from({ length: 50 }, () => snapshot.get());
    release();
    expect(new Set(await Promise.all(asks))).toEqual(new Set([1]));
    expect(produced()).toBe(1);
  });

  it("passes a failed production's error to its askers, and keeps the last good value for the asks past the bound", async () => {
    const { snapshot, failing } = counting(2);
    expect(await snapshot.get()).toBe(1);
    failing(true);
    await expect(snapshot.get()).rejects.toThrow("production 2 failed");
    expect(await snapshot.get()).toBe(1);
  });

  it("refuses a bound that is not a positive integer", () => {
    for (const maxPerSecond of [0, -1, 1.5, Number.NaN]) {
      expect(() => createRateBoundedSnapshot(async () => 1, { maxPerSecond })).toThrow(`createRateBoundedSnapshot: maxPerSecond must be a positive integer (got ${maxPerSecond})`);
    }
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BoundedLru } from "../../../src/store/bounded-lru.js";

const SRC = fileURLToPath(new URL("../../../src", import.meta.url));

/** A cache on a clock the test moves; `left` records every value that leaves, with its key. */
function lruOf(options: { maxEntries?: number; maxSize?: number } = {}) {
  let time = 1_000;
  const left: Array<[string, string]> = [];
  const lru = new BoundedLru<string>({
    maxEntries: options.maxEntries ?? 10,
    maxSize: options.maxSize ?? 1_000,
    sizeOf: (value) => value.length,
    dispose: (value, key) => void left.push([key, value]),
    now: () => time,
  });
  return { lru, left, advance: (ms: number) => void (time += ms) };
}

describe("BoundedLru", () => {
  it("evicts the least recently used entry beyond maxEntries, a read counting as a use", () => {
    const { lru, left } = lruOf({ maxEntries: 2 });
    lru.set("a", "1");
    lru.set("b", "2");
    expect(lru.get("a")).toBe("1");
    lru.set("c", "3");
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual(["1", undefined, "3"]);
    expect(left).toEqual([["b", "2"]]);
    expect(lru.size).toBe(2);
  });

  it("peek and has leave recency alone: the entry peeked is still the next to go", () => {
    const { lru } = lruOf({ maxEntries: 2 });
    lru.set("a", "1");
    lru.set("b", "2");
    expect(lru.peek("a")).toBe("1");
    expect(lru.has("a")).toBe(true);
    lru.set("c", "3");
    expect(lru.has("a")).toBe(false);
    expect(lru.peek("b")).toBe("2");
  });

  it("keeps the total size under maxSize, evicting the oldest, and refuses an entry larger than maxSize on its own (dropping the key's old value)", () => {
    const { lru, left } = lruOf({ maxSize: 10 });
    lru.set("a", "xxxx");
    lru.set("b", "yyyy");
    lru.set("c", "zzzz");
    expect([lru.has("a"), lru.has("b"), lru.has("c")]).toEqual([false, true, true]);
    lru.set("b", "w".repeat(11));
    expect(lru.has("b")).toBe(false);
    expect(left).toEqual([["a", "xxxx"], ["b", "yyyy"]]);
    lru.set("d", "vvvvvv");
    expect([lru.has("c"), lru.has("d")]).toEqual([true, true]);
  });

  it("serves an entry until its ttl ends, by its own clock; get drops it then, has and peek do not", () => {
    const { lru, left, advance } = lruOf();
    lru.set("a", "1", { ttlMs: 100 });
    lru.set("forever", "2");
    advance(99);
    expect(lru.get("a")).toBe("1");
    advance(1);
    expect([lru.peek("a"), lru.has("a"), lru.size]).toEqual([undefined, false, 2]);
    expect(lru.get("a")).toBeUndefined();
    expect(left).toEqual([["a", "1"]]);
    advance(1e9);
    expect(lru.get("forever")).toBe("2");
  });

  it("replacing a value disposes the old one (not the same value set again); keepTtl keeps a live entry's expiry", () => {
    const { lru, left, advance } = lruOf();
    lru.set("n", "1", { ttlMs: 100 });
    advance(60);
    lru.set("n", "2", { keepTtl: true });
    lru.set("n", "2", { keepTtl: true });
    advance(40);
    expect(lru.get("n")).toBeUndefined();
    lru.set("m", "1", { ttlMs: 100 });
    advance(60);
    lru.set("m", "1", { ttlMs: 100 });
    advance(60);
    expect(lru.get("m")).toBe("1");
    expect(left).toEqual([["n", "1"], ["n", "2"]]);
  });

  it("keepTtl keeps only a live entry's expiry: a key not held, or held past its end (to the millisecond), gets the ttl given", () => {
    const { lru, advance } = lruOf();
    lru.set("new", "1", { keepTtl: true, ttlMs: 50 });
    lru.set("lapsed", "1", { ttlMs: 100 });
    advance(100);
    expect(lru.has("lapsed")).toBe(false);
    lru.set("lapsed", "2", { keepTtl: true, ttlMs: 50 });
    advance(49);
    expect([lru.get("new"), lru.get("lapsed")]).toEqual([undefined, "2"]);
    advance(1);
    expect(lru.get("lapsed")).toBeUndefined();
  });

  it("refuses a size that is not a non-negative integer, which would lift the byte bound", () => {
    for (const size of [Number.NaN, -1, 1.5]) {
      const lru = new BoundedLru<string>({ maxEntries: 10, maxSize: 10, sizeOf: () => size });
      expect(() => lru.set("k", "v")).toThrow(/sizeOf must give a non-negative integer/);
      expect(lru.size).toBe(0);
    }
  });

  it("disposes a value set again that has grown too large to keep", () => {
    const left: string[] = [];
    const value = { bytes: 4 };
    const lru = new BoundedLru<{ bytes: number }>({ maxEntries: 10, maxSize: 10, sizeOf: (held) => held.bytes, dispose: (_, key) => void left.push(key) });
    lru.set("grows", value);
    value.bytes = 11;
    lru.set("grows", value);
    expect([lru.size, left]).toEqual([0, ["grows"]]);
  });

  it("delete and clear dispose what they drop, and the most recently used key can be read again after either", () => {
    const { lru, left } = lruOf({ maxEntries: 2 });
    lru.set("a", "1");
    expect(lru.delete("a")).toBe(true);
    expect(lru.delete("a")).toBe(false);
    lru.set("b", "2");
    lru.set("c", "3");
    expect(lru.get("c")).toBe("3");
    lru.clear();
    expect(lru.size).toBe(0);
    lru.set("c", "4");
    lru.set("d", "5");
    expect(lru.get("c")).toBe("4");
    lru.set("e", "6");
    expect([lru.has("c"), lru.has("d"), lru.has("e")]).toEqual([true, false, true]);
    expect(left).toEqual([["a", "1"], ["b", "2"], ["c", "3"], ["d", "5"]]);
  });

  it("refuses bounds that are not positive integers", () => {
    expect(() => new BoundedLru({ maxEntries: 0, maxSize: 1, sizeOf: () => 1 })).toThrow(/maxEntries must be a positive integer/);
    expect(() => new BoundedLru({ maxEntries: 1, maxSize: 1.5, sizeOf: () => 1 })).toThrow(/maxSize must be a positive integer/);
  });

  it("agrees with a plain model (an array in recency order) over 20,000 seeded random operations", () => {
    let seed = 42;
    const random = (below: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % below;
    };
    const maxEntries = 6;
    const maxSize = 40;
    const lru = new BoundedLru<string>({ maxEntries, maxSize, sizeOf: (value) => value.length });
    let model: Array<[string, string]> = [];
    const modelSize = () => model.reduce((total, [, value]) => total + value.length, 0);
    for (let step = 0; step < 20_000; step += 1) {
      const key = `k${random(10)}`;
      const at = model.findIndex(([held]) => held === key);
      switch (random(4)) {
        case 0: {
          const value = "v".repeat(1 + random(45));
          lru.set(key, value);
          if (at >= 0) model.splice(at, 1);
          if (value.length <= maxSize) model.push([key, value]);
          while (model.length > maxEntries || modelSize() > maxSize) model.shift();
          break;
        }
        case 1:
          expect(lru.get(key)).toBe(at >= 0 ? model[at]![1] : undefined);
          if (at >= 0) model.push(...model.splice(at, 1));
          break;
        case 2:
          expect(lru.delete(key)).toBe(at >= 0);
          if (at >= 0) model.splice(at, 1);
          break;
        default:
          expect(lru.peek(key)).toBe(at >= 0 ? model[at]![1] : undefined);
      }
      expect(lru.size).toBe(model.length);
    }
    lru.clear();
    model = [];
    expect(lru.size).toBe(model.length);
  });

  it("is what the gateway's code keeps its entries in: no file under src imports lru-cache, which publishes keys and values on a diagnostics channel", () => {
    const importing = readdirSync(SRC, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .filter((file) => /from\s+["']lru-cache["']|require\(\s*["']lru-cache["']\s*\)|import\(\s*["']lru-cache["']\s*\)/.test(readFileSync(join(SRC, file), "utf8")));
    expect(importing).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { pooledRandomBytes } from "../../../src/store/pooled-random.js";

describe("pooledRandomBytes", () => {
  it("hands out each random byte once, across many refills of its pool", () => {
    // 3,000 IVs of 12 bytes: 36 KB, nine pools' worth.
    const drawn = Array.from({ length: 3_000 }, () => pooledRandomBytes(12));
    expect(drawn.every((bytes) => bytes.length === 12)).toBe(true);
    expect(new Set(drawn.map((bytes) => bytes.toString("hex"))).size).toBe(drawn.length);
    // Random, not wiped pool bytes: 36,000 bytes with every value about as often (each ~141 times).
    const counts = new Array<number>(256).fill(0);
    for (const bytes of drawn) for (const byte of bytes) counts[byte]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(70);
    expect(Math.max(...counts)).toBeLessThan(230);
  });

  it("gives every caller a buffer of its own: changing one changes no other draw", () => {
    const first = pooledRandomBytes(16);
    const copy = Buffer.from(first);
    const second = pooledRandomBytes(16);
    second.fill(0);
    expect(first).toEqual(copy);
    expect(pooledRandomBytes(16).equals(Buffer.alloc(16))).toBe(false);
  });

  it("draws sizes that do not divide the pool, and large sizes straight from the CSPRNG", () => {
    const odd = Array.from({ length: 600 }, (_, index) => pooledRandomBytes(1 + (index % 13)));
    expect(odd.map((bytes) => bytes.length)).toEqual(Array.from({ length: 600 }, (_, index) => 1 + (index % 13)));
    const large = [pooledRandomBytes(5_000), pooledRandomBytes(5_000)];
    expect(large.map((bytes) => bytes.length)).toEqual([5_000, 5_000]);
    expect(large[0]!.equals(large[1]!)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { evaluateTargets } from "../../../bench/support/report.js";
import type { BenchRow } from "../../../bench/support/types.js";

const row = (id: string, fields: Partial<BenchRow>): BenchRow => ({
  id, scenario: id, system: id.startsWith("direct") || id === "c1-direct" ? "direct-sdk" : "gateway", connections: 32,
  requestsPerSecond: null, successesPerSecond: null, p50Ms: null, p99Ms: null, requests: 1, failures: 0, upstreamCalls: null, peakRssMb: null, ...fields,
});
const target = (rows: BenchRow[], prefix: string) => evaluateTargets(rows).find((t) => t.target.startsWith(prefix))!;

describe("bench targets from alternating rounds", () => {
  it("compares each round with its baseline's round and takes the median, not the ratio of the two median rounds", () => {
    // Ratio of medians: 2024 / 2707 = 0.748 (fail); per round: 0.63, 0.80, 0.80 → 0.80 (pass).
    const rows = [
      row("direct", { requestsPerSecond: 2707, rounds: [2707, 2521, 2721] }),
      row("a", { requestsPerSecond: 2024, rounds: [1706, 2024, 2170] }),
    ];
    expect(target(rows, "(a)")).toMatchObject({ measured: "0.80× (rounds 0.63 / 0.80 / 0.80)", pass: true });
  });

  it("fails a target whose median round misses it, and a concurrency-1 target on the median per-round difference", () => {
    const rows = [
      row("typename", { requestsPerSecond: 14000, rounds: [14000, 13000, 15000] }),
      row("b", { requestsPerSecond: 12000, rounds: [12000, 12500, 13000] }),
      row("c1-direct", { p50Ms: 0.8, rounds: [0.8, 0.9, 0.7] }),
      row("c1-gateway", { p50Ms: 1.3, rounds: [1.2, 1.5, 1.3] }),
    ];
    expect(target(rows, "(b)")).toMatchObject({ measured: "0.87× (rounds 0.86 / 0.96 / 0.87)", pass: false });
    expect(target(rows, "concurrency 1")).toMatchObject({ measured: "0.600 ms (rounds 0.40 / 0.60 / 0.60)", pass: false });
  });

  it("falls back to the two rows' single values when a row has no rounds, and fails a target with a missing row", () => {
    const rows = [row("direct", { requestsPerSecond: 1000 }), row("a", { requestsPerSecond: 800 })];
    expect(target(rows, "(a)")).toMatchObject({ measured: "0.80× (rounds n/a)", pass: true });
    expect(target(rows, "(b)").pass).toBe(false);
  });
});

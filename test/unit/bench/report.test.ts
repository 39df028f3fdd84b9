import { describe, expect, it } from "vitest";
import { evaluateTargets, formatReferences } from "../../../bench/support/report.js";
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
      row("b-floor", { requestsPerSecond: 14000, rounds: [14000, 13000, 15000] }),
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

  it("sets (b) against b-floor of the same rounds, not against { __typename }", () => {
    const rows = [
      row("typename", { requestsPerSecond: 14000, rounds: [14000, 14000, 14000] }),
      row("b-floor", { requestsPerSecond: 11000, rounds: [11000, 11000, 11000] }),
      row("b", { requestsPerSecond: 10000, rounds: [10000, 10000, 10000] }),
    ];
    expect(target(rows, "(b)")).toMatchObject({ target: "(b) cache hit ≥ 0.9× b-floor", measured: "0.91× (rounds 0.91 / 0.91 / 0.91)", pass: true });
  });
});

describe("bench references", () => {
  it("sets the naive gateway against direct SDK and (a) against the naive gateway, each round with its own", () => {
    const rows = [
      row("direct", { requestsPerSecond: 1500, rounds: [1500, 1600, 1400] }),
      row("a", { requestsPerSecond: 800, rounds: [750, 800, 840] }),
      row("a-naive", { system: "naive-gateway", requestsPerSecond: 1200, rounds: [1200, 1120, 1050] }),
    ];
    const references = formatReferences(rows);
    expect(references).toContain("the naive gateway (Apollo + one SDK call, nothing else) reaches 0.75× direct SDK (rounds 0.80 / 0.70 / 0.75)");
    expect(references).toContain("(a) reaches 0.71× the naive gateway (rounds 0.63 / 0.71 / 0.80)");
  });

  it("says what (a) reaches against the naive gateway without a direct row (--only=a,naive)", () => {
    const rows = [row("a", { requestsPerSecond: 800, rounds: [800, 800, 800] }), row("a-naive", { system: "naive-gateway", requestsPerSecond: 1000, rounds: [1000, 1000, 1000] })];
    const references = formatReferences(rows);
    expect(references).toContain("(a) reaches 0.80× the naive gateway");
    expect(references).not.toContain("direct SDK");
  });
});

describe("bench targets of three replicas on one Redis", () => {
  const replicaRows = (fields: { fCommands?: number; firstHit?: number; steady?: number; fInvalid?: string } = {}): BenchRow[] => [
    row("f-memory", { requestsPerSecond: 1000, rounds: [1000, 1000, 1000] }),
    row("f", { system: "gateways x3", requestsPerSecond: 750, rounds: [700, 750, 800], redisCommandsPerRequest: fields.fCommands ?? 11, ...(fields.fInvalid ? { invalid: fields.fInvalid } : {}) }),
    row("g-memory", { requestsPerSecond: 3000, rounds: [3000, 3000, 3000] }),
    row("g", { system: "gateways x3", requestsPerSecond: 2800, rounds: [2800, 2800, 2800], redisCommandsPerRequest: fields.steady ?? 0 }),
    row("g-first", { system: "gateways x3", requestsPerSecond: 1500, rounds: [1500, 1500, 1500], redisCommandsPerRequest: fields.firstHit ?? 1 }),
  ];

  it("passes the design's command counts and the paired ratios", () => {
    const rows = replicaRows();
    expect(target(rows, "(f) distinct")).toMatchObject({ measured: "0.75× (rounds 0.70 / 0.75 / 0.80)", pass: true });
    expect(target(rows, "(g) cache hits")).toMatchObject({ measured: "0.93× (rounds 0.93 / 0.93 / 0.93)", pass: true });
    expect(target(rows, "(f) Redis commands")).toMatchObject({ target: "(f) Redis commands per uncached exchange ≤ 11", pass: true });
    expect(target(rows, "(g) Redis commands")).toMatchObject({ measured: "first hit 1.00, steady 0.00 (worst round)", pass: true });
  });

  it("fails a round trip more per uncached exchange, a second read on a first hit, or a steady hit that reads Redis", () => {
    expect(target(replicaRows({ fCommands: 12 }), "(f) Redis commands")).toMatchObject({ measured: "12.00 (worst round)", pass: false });
    expect(target(replicaRows({ firstHit: 2 }), "(g) Redis commands").pass).toBe(false);
    expect(target(replicaRows({ steady: 0.01 }), "(g) Redis commands").pass).toBe(false);
  });

  it("fails (f) when its row is invalid (the replicas sent Redis nothing: they were not on Redis)", () => {
    const rows = replicaRows({ fCommands: 0, fInvalid: "the replicas sent Redis no command" });
    expect(target(rows, "(f) distinct").pass).toBe(false);
    expect(target(rows, "(f) Redis commands").pass).toBe(false);
  });
});

describe("bench target of the credentials burst", () => {
  it("passes one STS call per round with every caller answered, and fails more calls, a failure, or callers given different credentials", () => {
    expect(target([row("creds", { upstreamCalls: 1 })], "(creds)")).toMatchObject({ measured: "1 (max per round), failures 0", pass: true });
    expect(target([row("creds", { upstreamCalls: 2 })], "(creds)").pass).toBe(false);
    expect(target([row("creds", { upstreamCalls: 1, failures: 3 })], "(creds)").pass).toBe(false);
    expect(target([row("creds", { upstreamCalls: 1, invalid: "a round handed out 2 different sets of credentials" })], "(creds)")).toMatchObject({ measured: "n/a", pass: false });
    expect(target([], "(creds)").pass).toBe(false);
  });
});

describe("bench targets of the bursts", () => {
  it("fails (c) and (d) when a caller went unanswered, whatever the upstream call count", () => {
    expect(target([row("c", { upstreamCalls: 1 })], "(c)")).toMatchObject({ measured: "1 (max per round), failures 0", pass: true });
    expect(target([row("c", { upstreamCalls: 1, failures: 108 })], "(c)").pass).toBe(false);
    expect(target([row("d", { upstreamCalls: 1, failures: 1 })], "(d)").pass).toBe(false);
  });
});

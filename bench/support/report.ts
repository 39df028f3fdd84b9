import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchRow, BenchTarget } from "./types.js";

/** A row that can support its target (e.g. not one with repeated "distinct" exchanges); otherwise it counts as missing. */
const validRow = (rows: readonly BenchRow[], id: string) => rows.find((r) => r.id === id && r.invalid === undefined);

/**
 * Two paired rows compared: the median of the per-round comparisons (round i against the baseline's
 * round i, measured seconds apart), which is what alternating the rounds is for; comparing the two
 * median rounds could set a quiet round of one system against a busy round of the other. Rows
 * measured once (e.g. --only left the partner's rounds out) compare their single `key` values.
 */
function pairedComparison(
  rows: readonly BenchRow[], id: string, baseline: string, key: "requestsPerSecond" | "p50Ms",
  compare: (value: number, base: number) => number,
): { value: number | null; perRound: string } {
  const row = validRow(rows, id);
  const base = validRow(rows, baseline);
  const rounds = row?.rounds;
  const baseRounds = base?.rounds;
  if (rounds === undefined || baseRounds === undefined || rounds.length !== baseRounds.length || rounds.length === 0) {
    const single = row?.[key] == null || base?.[key] == null ? null : compare(row[key]!, base[key]!);
    return { value: single === null || !Number.isFinite(single) ? null : single, perRound: "" };
  }
  const values = rounds.map((value, i) => compare(value, baseRounds[i]!));
  if (values.some((value) => !Number.isFinite(value))) return { value: null, perRound: "" };
  const sorted = [...values].sort((x, y) => x - y);
  return { value: sorted[Math.floor(sorted.length / 2)]!, perRound: values.map((value) => value.toFixed(2)).join(" / ") };
}

const rateRatio = (value: number, base: number) => value / base;

/** The issue's targets, each computed from the rows of this run (a missing row fails its target). */
export function evaluateTargets(rows: readonly BenchRow[]): BenchTarget[] {
  const row = (id: string) => validRow(rows, id);
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b ? a / b : null);
  const fmt = (value: number | null, digits = 2) => (value === null ? "n/a" : value.toFixed(digits));
  const targets: BenchTarget[] = [];

  const a = pairedComparison(rows, "a", "direct", "requestsPerSecond", rateRatio);
  targets.push({ target: "(a) distinct exchanges ≥ 0.75× direct SDK", measured: `${fmt(a.value)}× (rounds ${a.perRound || "n/a"})`, pass: a.value !== null && a.value >= 0.75 });

  const b = pairedComparison(rows, "b", "typename", "requestsPerSecond", rateRatio);
  targets.push({ target: "(b) cache hit ≥ 0.9× { __typename }", measured: `${fmt(b.value)}× (rounds ${b.perRound || "n/a"})`, pass: b.value !== null && b.value >= 0.9 });

  for (const id of ["c", "d"]) {
    const calls = row(id)?.upstreamCalls ?? null;
    const label = id === "c" ? "(c) 100 concurrent identical exchanges: 1 upstream call" : "(d) refresh storm over 3 gateways: 1 upstream call";
    targets.push({ target: label, measured: calls === null ? "n/a" : `${calls} (max per round)`, pass: calls === 1 });
  }

  const e = ratio(row("e")?.successesPerSecond, row("e-naive")?.successesPerSecond);
  targets.push({ target: "(e) successful exchanges/s ≥ 8× naive gateway", measured: `${fmt(e, 1)}×`, pass: e !== null && e >= 8 });

  const added = pairedComparison(rows, "c1-gateway", "c1-direct", "p50Ms", (value, base) => value - base);
  targets.push({ target: "concurrency 1: gateway adds ≤ 0.5 ms to the direct median", measured: `${fmt(added.value, 3)} ms (rounds ${added.perRound || "n/a"})`, pass: added.value !== null && added.value <= 0.5 });

  const hostile = ["hostile-healthz", "hostile-caller"].map((id) => row(id));
  const hostileP99 = hostile.every((r) => r?.p99Ms != null && r.failures === 0) ? Math.max(...hostile.map((r) => r!.p99Ms!)) : null;
  targets.push({
    target: "(hostile) a caller's most expensive refusals at its allowance: /healthz and a second caller's p99 < 100 ms, all answered",
    measured: hostile.every((r) => r !== undefined) ? `/healthz ${fmt(hostile[0]!.p99Ms, 1)} ms, exchanges ${fmt(hostile[1]!.p99Ms, 1)} ms (failures ${hostile[0]!.failures + hostile[1]!.failures})` : "n/a",
    pass: hostileP99 !== null && hostileP99 < 100,
  });

  const rss = Math.max(0, ...rows.filter((r) => r.system !== "direct-sdk" && r.system !== "naive-gateway").map((r) => r.peakRssMb ?? 0));
  targets.push({ target: "peak gateway RSS < 200 MB", measured: `${rss} MB`, pass: rss > 0 && rss < 200 });
  return targets;
}

/**
 * What the run says about the targets beyond pass/fail: where (b) stands against its floor, about
 * the most any cache hit of its size reaches on this server stack (the b-floor row).
 */
export function formatReferences(rows: readonly BenchRow[]): string {
  const floor = pairedComparison(rows, "b-floor", "typename", "requestsPerSecond", rateRatio);
  if (floor.value === null) return "";
  const lines = [`- (b)'s floor: the same request and answer sizes with no exchange (b-floor) reach ${floor.value.toFixed(2)}× { __typename } (rounds ${floor.perRound || "n/a"}): about the most a cache hit of that size can reach on this server stack.`];
  const bOfFloor = pairedComparison(rows, "b", "b-floor", "requestsPerSecond", rateRatio);
  if (bOfFloor.value !== null) lines.push(`- (b) reaches ${bOfFloor.value.toFixed(2)}× its floor (rounds ${bOfFloor.perRound || "n/a"}): the rest is the exchange's own work (execution, type-graphql, fingerprint, cache lookup).`);
  return lines.join("\n");
}

const show = (value: number | null | undefined) => (value === null || value === undefined ? "–" : String(value));

export function formatRowsTable(rows: readonly BenchRow[]): string {
  const header = ["id", "scenario", "system", "conns", "req/s", "ok/s", "p50 ms", "p99 ms", "requests", "failed", "upstream calls", "CPU µs/req", "peak RSS MB"];
  const lines = rows.map((r) => [r.id, r.scenario, r.system, String(r.connections), show(r.requestsPerSecond), show(r.successesPerSecond), show(r.p50Ms), show(r.p99Ms), String(r.requests), String(r.failures), show(r.upstreamCalls), show(r.cpuUsPerRequest), show(r.peakRssMb)]);
  return markdownTable(header, lines);
}

export function formatTargetsTable(targets: readonly BenchTarget[]): string {
  return markdownTable(["target", "measured", "result"], targets.map((t) => [t.target, t.measured, t.pass ? "PASS" : "FAIL"]));
}

export function formatNotes(rows: readonly BenchRow[]): string {
  return rows.filter((r) => r.notes || r.invalid).map((r) => `- ${r.id}: ${[r.invalid ? `INVALID: ${r.invalid}` : "", r.notes ?? ""].filter(Boolean).join("; ")}`).join("\n");
}

function markdownTable(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [format(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(format)].join("\n");
}

export function writeResults(directory: string, document: Record<string, unknown>, markdown: string): { json: string; markdown: string } {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, "bench.json");
  const md = join(directory, "latest.md");
  writeFileSync(json, `${JSON.stringify(document, null, 2)}\n`);
  writeFileSync(md, markdown);
  return { json, markdown: md };
}

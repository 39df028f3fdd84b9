import type { BenchRow } from "./types.js";

/** The round with the median `key` (rows of one scenario), annotated with every round's value. */
export function medianRow(rounds: BenchRow[], key: "p50Ms" | "requestsPerSecond"): BenchRow {
  const sorted = [...rounds].sort((x, y) => (x[key] ?? 0) - (y[key] ?? 0));
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const values = rounds.map((row) => row[key]).join(" / ");
  const what = key === "p50Ms" ? "p50 per round" : "req/s per round";
  return { ...median, rounds: rounds.map((row) => row[key] ?? 0), notes: [median.notes, `${what} ${values} (median shown; rounds alternate with the other system's)`].filter(Boolean).join("; ") };
}

/** One line of the bench table (and of bench.json). */
export interface BenchRow {
  id: string;
  scenario: string;
  system: "gateway" | "naive-gateway" | "direct-sdk" | "gateways x3";
  connections: number;
  requestsPerSecond: number | null;
  successesPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  requests: number;
  failures: number;
  /** CreateTokenWithIAM calls the emulator counted during the measured window. */
  upstreamCalls: number | null;
  /** CPU time (user + system) the process under test spent per request in the measured window, µs. */
  cpuUsPerRequest?: number | null;
  /**
   * Rows on the bench's own Redis: commands Redis executed (INFO commandstats, script-internal calls
   * included) per answered request in the measured window; the largest over the row's rounds.
   */
  redisCommandsPerRequest?: number | null;
  /** VmHWM of the gateway process(es) after this row (peak since start; max over replicas). */
  peakRssMb: number | null;
  notes?: string;
  /**
   * Rows measured in alternating rounds: each round's value of the measure the row is paired on
   * (req/s, or p50 ms at concurrency 1), in round order. The row itself is the median round; a
   * target compares round i with its baseline's round i, measured seconds apart.
   */
  rounds?: number[];
  /** Why this row cannot support its target (e.g. distinct exchanges repeated); the target then fails. */
  invalid?: string;
}

export interface BenchTarget {
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchTiming {
  warmupSeconds: number;
  durationSeconds: number;
  connections: number;
}

import { Socket } from "node:net";
import type { BenchEmulator } from "./emulator.js";
import { sendBurst } from "./burst.js";
import { startBenchGateway } from "./gateway.js";
import { peakRssMb, type BenchProcess } from "./processes.js";
import type { BenchRow } from "./types.js";

/** The bench's own Redis (the machine's, at its default port). */
export const BENCH_REDIS_URL = "redis://127.0.0.1:6379";

export interface ReplicaBurstOptions {
  id: string;
  scenario: string;
  emulator: BenchEmulator;
  rounds: number;
  callers: number;
  /** Gateway variables besides REDIS_URL. */
  env?: Record<string, string>;
  /** Process names: `<name>-0` … `<name>-2`. */
  name: string;
  /** One round's request body, prepared against the first gateway (e.g. a fresh sign-in). */
  prepareRound(firstUrl: string, round: number): Promise<string>;
  /** The mutation's field in `data`, and the field of its answer that must be the same for every caller. */
  field: string;
  identityField: string;
  /** The emulator's counter of the call that must happen once per round. */
  upstreamCalls(): Promise<number>;
}

/**
 * A thundering herd over 3 gateways on one Redis, `rounds` times: `callers` identical requests at
 * once, round-robin over three gateway processes sharing REDIS_URL and GATEWAY_SECRET (fresh per
 * run, so no other run's keys meet them). The row's upstream calls are the most any round made;
 * a round that handed out more than one answer makes the row invalid, whatever the call count.
 */
export async function measureReplicaBurst(options: ReplicaBurstOptions): Promise<BenchRow> {
  const base = {
    id: options.id, scenario: options.scenario, system: "gateways x3" as const, connections: options.callers,
    requestsPerSecond: null, successesPerSecond: null, p50Ms: null,
  };
  if (!(await redisAnswers(BENCH_REDIS_URL))) {
    return { ...base, p99Ms: null, requests: 0, failures: 0, upstreamCalls: null, peakRssMb: null, notes: `SKIPPED: no Redis at ${BENCH_REDIS_URL}` };
  }
  const env = { REDIS_URL: BENCH_REDIS_URL, ...options.env };
  const gateways: BenchProcess[] = await Promise.all([0, 1, 2].map((i) => startBenchGateway({ name: `${options.name}-${i}`, emulatorUrl: options.emulator.url, env })));
  try {
    const urls = gateways.map((g) => g.url);
    const callsPerRound: number[] = [];
    const walls: number[] = [];
    const served: string[] = [];
    const errorCodes: Record<string, number> = {};
    let failures = 0;
    let mostDistinct = 0;
    for (let round = 0; round < options.rounds; round++) {
      const body = await options.prepareRound(urls[0]!, round);
      const before = await options.upstreamCalls();
      const burst = await sendBurst(urls, Array.from({ length: options.callers }, () => body), options.field, options.identityField);
      callsPerRound.push((await options.upstreamCalls()) - before);
      walls.push(burst.wallMs);
      failures += burst.failures;
      served.push(`${burst.successes} ok/${burst.distinctAccessTokens} distinct`);
      mostDistinct = Math.max(mostDistinct, burst.distinctAccessTokens);
      for (const [code, n] of Object.entries(burst.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
    }
    const errors = Object.entries(errorCodes).map(([code, n]) => `${code}×${n}`).join(" ");
    const warnings = summariseWarnings(gateways.map((g) => g.log()));
    return {
      ...base,
      p99Ms: Math.max(...walls),
      requests: options.rounds * options.callers,
      failures,
      upstreamCalls: Math.max(...callsPerRound),
      peakRssMb: Math.max(...gateways.map((g) => peakRssMb(g.pid) ?? 0)),
      ...(mostDistinct > 1 ? { invalid: `a round handed its callers ${mostDistinct} different answers` } : {}),
      notes: `upstream calls per round ${callsPerRound.join(",")}; served ${served.join(", ")}; burst wall time (p99 column) ${walls.join("/")} ms${errors ? `; errors ${errors}` : ""}${warnings ? `; gateway warnings: ${warnings}` : ""}`,
    };
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
  }
}

/** Distinct warn/error log messages of the replicas, with counts: why a storm cost more than one call. */
function summariseWarnings(logs: string[]): string {
  const counts = new Map<string, number>();
  for (const line of logs.join("\n").split("\n")) {
    const match = line.match(/^\{"level":(\d+)/);
    if (!match || Number(match[1]) < 40) continue;
    const msg = line.match(/"msg":"([^"]*)"/)?.[1] ?? "(no msg)";
    counts.set(msg, (counts.get(msg) ?? 0) + 1);
  }
  return [...counts].map(([msg, n]) => `"${msg}"×${n}`).join(", ");
}

/** A PING over a raw socket: is a Redis listening (without pulling a client into the bench)? */
export function redisAnswers(redisUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(redisUrl);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    socket.connect(Number(port || 6379), hostname, () => socket.write("PING\r\n"));
  });
}

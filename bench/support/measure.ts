import type { BenchEmulator } from "./emulator.js";
import { runLoad, runLoadSpread, type LoadResult } from "./load.js";
import { cpuTimeMs, peakRssMb, type BenchProcess } from "./processes.js";
import type { BenchRow, BenchTiming } from "./types.js";

interface MeasureOptions {
  id: string;
  scenario: string;
  system: BenchRow["system"];
  emulator: BenchEmulator;
  timing: BenchTiming;
  nextBody: () => string;
  notes?: string;
}

/**
 * Runs autocannon against a server process: a warm-up (JIT, connection pools), then the measured
 * run, counting the emulator's CreateTokenWithIAM calls across the measured run only.
 */
export function measureThroughput(options: MeasureOptions & { server: BenchProcess }): Promise<BenchRow & { load: LoadResult }> {
  const url = options.server.url;
  return measureWith({ ...options, servers: [options.server] }, (durationSeconds) => runLoad({ url, connections: options.timing.connections, durationSeconds, nextBody: options.nextBody }));
}

/**
 * The same, with the load spread over several replicas (support/load.ts runLoadSpread): `timing.connections`
 * in total, CPU per request summed over the replicas, peak RSS the largest replica's.
 */
export function measureSpreadThroughput(options: MeasureOptions & { servers: readonly BenchProcess[] }): Promise<BenchRow & { load: LoadResult }> {
  const urls = options.servers.map((server) => server.url);
  return measureWith(options, (durationSeconds) => runLoadSpread({ urls, connections: options.timing.connections, durationSeconds, nextBody: options.nextBody }));
}

async function measureWith(
  options: MeasureOptions & { servers: readonly BenchProcess[] },
  load: (durationSeconds: number) => Promise<LoadResult>,
): Promise<BenchRow & { load: LoadResult }> {
  const { timing, servers } = options;
  if (timing.warmupSeconds > 0) await load(timing.warmupSeconds);
  const callsBefore = await options.emulator.createTokenWithIamCalls();
  const cpuBefore = totalCpuMs(servers);
  const result = await load(timing.durationSeconds);
  const cpuAfter = totalCpuMs(servers);
  const callsAfter = await options.emulator.createTokenWithIamCalls();
  return {
    id: options.id,
    scenario: options.scenario,
    system: options.system,
    connections: timing.connections,
    ...loadFields(result),
    upstreamCalls: callsAfter - callsBefore,
    cpuUsPerRequest: cpuBefore === null || cpuAfter === null || result.requests === 0 ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / result.requests),
    peakRssMb: Math.max(...servers.map((server) => peakRssMb(server.pid) ?? 0)) || null,
    ...(options.notes === undefined ? {} : { notes: options.notes }),
    load: result,
  };
}

/** CPU time of all `servers` together (ms), or null if one cannot be read. */
function totalCpuMs(servers: readonly BenchProcess[]): number | null {
  let total = 0;
  for (const server of servers) {
    const ms = cpuTimeMs(server.pid);
    if (ms === null) return null;
    total += ms;
  }
  return total;
}

type LoadFields = Pick<BenchRow, "requestsPerSecond" | "successesPerSecond" | "p50Ms" | "p99Ms" | "requests" | "failures">;

/** A load run's rates, latencies and counts, as a row shows them. */
export function loadFields(result: { [K in keyof LoadFields]: NonNullable<LoadFields[K]> }): LoadFields {
  const { requestsPerSecond, successesPerSecond, p50Ms, p99Ms, requests, failures } = result;
  return { requestsPerSecond, successesPerSecond, p50Ms, p99Ms, requests, failures };
}

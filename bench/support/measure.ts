import type { BenchEmulator } from "./emulator.js";
import { runLoad, type LoadResult } from "./load.js";
import { cpuTimeMs, peakRssMb, type BenchProcess } from "./processes.js";
import type { BenchRow, BenchTiming } from "./types.js";

/**
 * Runs autocannon against a server process: a warm-up (JIT, connection pools), then the measured
 * run, counting the emulator's CreateTokenWithIAM calls across the measured run only.
 */
export async function measureThroughput(options: {
  id: string;
  scenario: string;
  system: BenchRow["system"];
  server: BenchProcess;
  emulator: BenchEmulator;
  timing: BenchTiming;
  nextBody: () => string;
  notes?: string;
}): Promise<BenchRow & { load: LoadResult }> {
  const { timing } = options;
  if (timing.warmupSeconds > 0) {
    await runLoad({ url: options.server.url, connections: timing.connections, durationSeconds: timing.warmupSeconds, nextBody: options.nextBody });
  }
  const callsBefore = await options.emulator.createTokenWithIamCalls();
  const cpuBefore = cpuTimeMs(options.server.pid);
  const load = await runLoad({ url: options.server.url, connections: timing.connections, durationSeconds: timing.durationSeconds, nextBody: options.nextBody });
  const cpuAfter = cpuTimeMs(options.server.pid);
  const callsAfter = await options.emulator.createTokenWithIamCalls();
  return {
    id: options.id,
    scenario: options.scenario,
    system: options.system,
    connections: timing.connections,
    requestsPerSecond: load.requestsPerSecond,
    successesPerSecond: load.successesPerSecond,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    requests: load.requests,
    failures: load.failures,
    upstreamCalls: callsAfter - callsBefore,
    cpuUsPerRequest: cpuBefore === null || cpuAfter === null || load.requests === 0 ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / load.requests),
    peakRssMb: peakRssMb(options.server.pid),
    ...(options.notes === undefined ? {} : { notes: options.notes }),
    load,
  };
}

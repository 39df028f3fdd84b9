import type { BenchEmulator } from "../support/emulator.js";
import { jwtBearerExchangeBody, rotate } from "../support/graphql-bodies.js";
import { runSequential } from "../support/load.js";
import { peakRssMb, type BenchProcess } from "../support/processes.js";
import type { BenchRow } from "../support/types.js";

/**
 * One distinct exchange at a time through the gateway, timed with hrtime: compared with the
 * direct SDK's median at concurrency 1, this is what the gateway adds to a call.
 */
export async function measureGatewayAtConcurrency1(options: {
  gateway: BenchProcess;
  emulator: BenchEmulator;
  assertions: string[];
  warmupSeconds: number;
  durationSeconds: number;
}): Promise<BenchRow> {
  // Never repeat an assertion here: a repeat is a cache hit, and would flatter the gateway.
  const bodies = rotate(options.assertions, jwtBearerExchangeBody);
  await runSequential(options.gateway.url, options.warmupSeconds, bodies.nextOrNone);
  const before = await options.emulator.createTokenWithIamCalls();
  const result = await runSequential(options.gateway.url, options.durationSeconds, bodies.nextOrNone);
  const calls = (await options.emulator.createTokenWithIamCalls()) - before;
  return {
    id: "c1-gateway",
    scenario: "latency at concurrency 1, distinct exchanges",
    system: "gateway",
    connections: 1,
    requestsPerSecond: Math.round((result.requests / result.seconds) * 10) / 10,
    successesPerSecond: Math.round(((result.requests - result.failures) / result.seconds) * 10) / 10,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    requests: result.requests,
    failures: result.failures,
    upstreamCalls: calls,
    peakRssMb: peakRssMb(options.gateway.pid),
    ...(result.seconds < options.durationSeconds - 0.5 ? { notes: `assertion pool of ${options.assertions.length} used up after ${result.seconds.toFixed(1)} s (every exchange distinct)` } : {}),
  };
}

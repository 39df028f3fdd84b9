import type { BenchEmulator } from "../support/emulator.js";
import { jwtBearerExchangeBody } from "../support/graphql-bodies.js";
import { measureThroughput } from "../support/measure.js";
import type { BenchProcess } from "../support/processes.js";
import type { BenchRow, BenchTiming } from "../support/types.js";

export const HOT_ASSERTIONS = 20;

/**
 * (e) Mixed workload against an AWS-like upstream (the emulator throttles the application at
 * 10 CreateTokenWithIAM/s with SlowDownException and adds 50 ms of latency): 9 requests in 10
 * repeat one of a few hot exchanges (users reloading), 1 in 10 is a first-time exchange.
 * The figure is successful exchanges per second.
 */
export function mixedWorkload(hot: readonly string[], fresh: readonly string[]): { next: () => string } {
  let index = 0;
  let freshIndex = 0;
  return {
    next: () => {
      const i = index++;
      if (i % 10 === 9) return jwtBearerExchangeBody(fresh[freshIndex++ % fresh.length]!);
      return jwtBearerExchangeBody(hot[i % hot.length]!);
    },
  };
}

export async function measureMixedThrottled(options: {
  id: string;
  system: BenchRow["system"];
  server: BenchProcess;
  emulator: BenchEmulator;
  timing: BenchTiming;
  freshPool: number;
}): Promise<BenchRow> {
  const hot = await options.emulator.mintAssertions(HOT_ASSERTIONS, `${options.id}-hot`);
  const fresh = await options.emulator.mintAssertions(options.freshPool, `${options.id}-fresh`);
  const workload = mixedWorkload(hot, fresh);
  const { load: _load, ...row } = await measureThroughput({
    id: options.id,
    scenario: "(e) mixed 90% repeated, upstream throttled 10/s + 50 ms",
    system: options.system,
    server: options.server,
    emulator: options.emulator,
    timing: options.timing,
    nextBody: workload.next,
  });
  return row;
}

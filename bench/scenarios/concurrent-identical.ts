import type { BenchEmulator } from "../support/emulator.js";
import { sendBurst } from "../support/burst.js";
import { jwtBearerExchangeBody } from "../support/graphql-bodies.js";
import { peakRssMb, type BenchProcess } from "../support/processes.js";
import type { BenchRow } from "../support/types.js";

/**
 * (c) 100 concurrent identical exchanges: one never-seen assertion sent 100 times at once.
 * With single-flight the gateway makes exactly one upstream call and all 100 get its answer.
 * Repeated for a few rounds (a fresh assertion each) so one lucky round cannot pass it.
 */
export async function measureConcurrentIdentical(options: { gateway: BenchProcess; emulator: BenchEmulator; rounds: number; callers: number }): Promise<{ row: BenchRow; callsPerRound: number[] }> {
  const assertions = await options.emulator.mintAssertions(options.rounds, "identical");
  const callsPerRound: number[] = [];
  const walls: number[] = [];
  let successes = 0;
  let failures = 0;
  let distinct = 0;
  const errorCodes: Record<string, number> = {};
  for (const assertion of assertions) {
    const before = await options.emulator.createTokenWithIamCalls();
    const burst = await sendBurst([options.gateway.url], Array.from({ length: options.callers }, () => jwtBearerExchangeBody(assertion)), "createTokenWithIAM");
    callsPerRound.push((await options.emulator.createTokenWithIamCalls()) - before);
    walls.push(burst.wallMs);
    successes += burst.successes;
    failures += burst.failures;
    distinct = Math.max(distinct, burst.distinctAccessTokens);
    for (const [code, n] of Object.entries(burst.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  }
  const errors = Object.entries(errorCodes).map(([code, n]) => `${code}×${n}`).join(" ");
  return {
    callsPerRound,
    row: {
      id: "c",
      scenario: `(c) ${options.callers} concurrent identical exchanges ×${options.rounds} rounds`,
      system: "gateway",
      connections: options.callers,
      requestsPerSecond: null,
      successesPerSecond: null,
      p50Ms: null,
      p99Ms: Math.max(...walls),
      requests: options.rounds * options.callers,
      failures,
      upstreamCalls: Math.max(...callsPerRound),
      peakRssMb: peakRssMb(options.gateway.pid),
      notes: `upstream calls per round ${callsPerRound.join(",")}; max distinct access tokens per round ${distinct}; burst wall time (p99 column) ${walls.join("/")} ms${errors ? `; errors ${errors}` : ""}`,
    },
  };
}

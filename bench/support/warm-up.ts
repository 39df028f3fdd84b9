import type { BenchEmulator } from "./emulator.js";
import { jwtBearerExchangeBody, rotate } from "./graphql-bodies.js";
import { runLoadSpread } from "./load.js";
import type { BenchProcess } from "./processes.js";

/**
 * How much work a fresh process does before the bench measures it: V8 optimizes a hot function only
 * after it has run many times, and an exchange runs ~1,440 of them (the gateway's, Apollo's,
 * fastify's, the SDK's). A fresh gateway under (a)'s load spent 4,400 µs of CPU per exchange in its
 * first second and ~1,150 µs once TurboFan had compiled them (`--trace-opt`: ~1,250 functions
 * optimized after ~5,000 exchanges, ~1,420 after ~10,000, ~1,440 after ~15,000), whatever the host's speed. A time-based
 * warm-up measured this JIT warm-up instead of the gateway: round 1 of (a) was always its lowest
 * (0.35–0.57 × where rounds 2 and 3 were 0.67–0.79 ×), while the direct-SDK worker, a fresh process
 * every round with half a second of warm-up, ran at ~890 req/s against ~1,150–1,540 warmed. Counted
 * in requests, a warm-up holds on a slow host and a fast one alike. Warmed: the systems the throughput and
 * concurrency-1 targets compare (direct, (a), the naive gateway, (b), c1, f and g); (c) runs on the same warmed
 * gateway. The gateways of (d), (creds), (e) and (hostile) start cold, as a new replica does: their targets
 * count calls and bound latency.
 */
export const JIT_WARM_UP = {
  /** Distinct exchanges each fresh gateway (ours or the naive one) serves before its first measured round. */
  gatewayExchanges: 6_000,
  /** CreateTokenWithIAM calls the direct-SDK worker (a fresh process every round) makes before measuring. */
  directSdkCalls: 5_000,
  /** Connections (or the worker's loops) the warm-up runs at, whatever the measured run's: 32, as (a). */
  connections: 32,
} as const;

/** What the warm-up does, as the bench's log and report say it. */
export const WARM_UP_SUMMARY = `each fresh gateway first serves ${JIT_WARM_UP.gatewayExchanges} distinct exchanges and the direct-SDK worker makes ${JIT_WARM_UP.directSdkCalls} calls each round (support/warm-up.ts)`;

/**
 * Brings fresh gateways to their steady state: each serves JIT_WARM_UP.gatewayExchanges distinct JWT-bearer
 * exchanges (one upstream call each), all of them at once as the measured runs load them. The
 * answers it caches are evicted by the measured runs' own, as in a gateway that has served a while.
 */
export async function warmUpGateways(emulator: BenchEmulator, servers: readonly BenchProcess[], label: string): Promise<void> {
  const pool = await emulator.mintAssertions(JIT_WARM_UP.gatewayExchanges * servers.length, `warm-up-${label}`);
  const perServer = servers.map((_, i) => rotate(pool.slice(i * JIT_WARM_UP.gatewayExchanges, (i + 1) * JIT_WARM_UP.gatewayExchanges), jwtBearerExchangeBody).next);
  const result = await runLoadSpread({
    urls: servers.map((server) => server.url),
    connections: JIT_WARM_UP.connections,
    amountPerUrl: JIT_WARM_UP.gatewayExchanges,
    nextBody: perServer,
  });
  if (result.failures > 0) throw new Error(`warm-up of ${label}: ${result.failures} exchanges failed: ${result.sampleFailure ?? ""}`);
}

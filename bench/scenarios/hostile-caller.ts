import type { BenchEmulator } from "../support/emulator.js";
import { startBenchGateway } from "../support/gateway.js";
import { jwtBearerExchangeBody } from "../support/graphql-bodies.js";
import { DEFAULT_CALLER_ALLOWANCE, runBystander, runHostileCaller, type Answer } from "../support/hostile-caller.js";
import { percentiles } from "../support/load.js";
import { cpuTimeMs, peakRssMb } from "../support/processes.js";
import type { BenchRow } from "../support/types.js";

/**
 * (hostile) One caller (127.0.0.2) sends the most expensive refusals known (support/hostile-caller.ts)
 * at its full allowance (the default caller rate limit: a burst of 40, then 20/s), while a second
 * caller (127.0.0.3) probes /healthz (20/s) and repeats one exchange (20/s; a cache hit after the
 * first). Two rows: the second caller's /healthz and its exchanges, with their p99 under attack; the
 * target is p99 < 100 ms for both. The same probes run first without the attack (notes), and the
 * gateway's CPU per hostile request is measured during the attack.
 */

const PROBE_HEALTHZ_PER_SECOND = 20;
const PROBE_EXCHANGES_PER_SECOND = 20;

export async function measureHostileCaller(options: { emulator: BenchEmulator; durationSeconds: number }): Promise<BenchRow[]> {
  // The caller rate limit back at its defaults (the bench's other gateways turn it off).
  const gateway = await startBenchGateway({ name: "gateway-hostile", emulatorUrl: options.emulator.url, env: { RATE_LIMIT_CALLER_PER_SECOND: undefined, RATE_LIMIT_CALLER_BURST: undefined } });
  try {
    const [assertion] = await options.emulator.mintAssertions(1, "hostile-bystander");
    const exchange = jwtBearerExchangeBody(assertion!);
    const healthz = new URL("/healthz", gateway.url).toString();
    const durationMs = options.durationSeconds * 1000;
    const probe = () =>
      Promise.all([
        runBystander({ url: gateway.url, durationMs, perSecond: PROBE_HEALTHZ_PER_SECOND, next: () => ({ url: healthz }) }),
        runBystander({ url: gateway.url, durationMs, perSecond: PROBE_EXCHANGES_PER_SECOND, next: () => ({ body: exchange }) }),
      ]);
    const [quietHealthz, quietExchanges] = await probe();

    const callsBefore = await options.emulator.createTokenWithIamCalls();
    const cpuBefore = cpuTimeMs(gateway.pid);
    const [hostile, [healthzAnswers, exchangeAnswers]] = await Promise.all([runHostileCaller({ url: gateway.url, durationMs }), probe()]);
    const cpuAfter = cpuTimeMs(gateway.pid);
    const upstreamCalls = (await options.emulator.createTokenWithIamCalls()) - callsBefore;

    const allRequests = hostile.length + healthzAnswers.length + exchangeAnswers.length;
    const cpuUsPerRequest = cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / allRequests);
    const hostileStatuses = countBy(hostile.map((answer) => String(answer.status)));
    const attack = `hostile caller: ${hostile.length} requests (${DEFAULT_CALLER_ALLOWANCE.burst} at once, then ${DEFAULT_CALLER_ALLOWANCE.perSecond}/s), statuses ${JSON.stringify(hostileStatuses)}, p99 ${percentiles(hostile.map((a) => a.ms)).p99Ms} ms; gateway CPU per request (all callers) ${cpuUsPerRequest ?? "–"} µs`;
    const rss = peakRssMb(gateway.pid);
    const row = (id: string, scenario: string, answers: Answer[], quiet: Answer[], ok: (answer: Answer) => boolean): BenchRow => {
      const { p50Ms, p99Ms } = percentiles(answers.map((answer) => answer.ms));
      const failures = answers.filter((answer) => !ok(answer)).length;
      return {
        id, scenario, system: "gateway", connections: 1,
        requestsPerSecond: Math.round((answers.length / options.durationSeconds) * 10) / 10,
        successesPerSecond: Math.round(((answers.length - failures) / options.durationSeconds) * 10) / 10,
        p50Ms, p99Ms, requests: answers.length, failures, upstreamCalls, cpuUsPerRequest, peakRssMb: rss,
        notes: `without the attack: p50 ${percentiles(quiet.map((a) => a.ms)).p50Ms} ms, p99 ${percentiles(quiet.map((a) => a.ms)).p99Ms} ms; ${attack}`,
      };
    };
    return [
      row("hostile-healthz", "(hostile) /healthz from a second caller, under attack", healthzAnswers, quietHealthz, (answer) => answer.status === 200),
      row("hostile-caller", "(hostile) a second caller's exchanges, under attack", exchangeAnswers, quietExchanges, (answer) => answer.status === 200 && !answer.text.includes('"errors"')),
    ];
  } finally {
    await gateway.stop();
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

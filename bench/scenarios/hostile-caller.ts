import { programs } from "../support/build.js";
import type { BenchEmulator } from "../support/emulator.js";
import { startBenchGateway } from "../support/gateway.js";
import { jwtBearerExchangeBody } from "../support/graphql-bodies.js";
import { callerAgent, DEFAULT_CALLER_ALLOWANCE, EXPENSIVE_REFUSALS, refusalRequest, requestFrom, runBystander, validIntrospection, type Answer } from "../support/hostile-caller.js";
import { percentiles } from "../support/load.js";
import { cpuTimeMs, peakRssMb, spawnBenchProcess } from "../support/processes.js";
import type { BenchRow } from "../support/types.js";

/**
 * (hostile) One caller (127.0.0.2) sends the most expensive refusals known (support/hostile-caller.ts),
 * every other request a valid introspection document (~10 ms and a 162 KB answer each; introspection on), at its full allowance (the default caller rate limit: a burst of 40, then 20/s), and beside them the
 * framing attacks (support/framing-attacks.ts: pipelined floods, chunked bodies in 1-byte chunks), while a second
 * caller (127.0.0.3) probes /healthz (20/s) and repeats one exchange (20/s; a cache hit after the
 * first). Two rows: the second caller's /healthz and its exchanges, with their p99 under attack; the
 * target is p99 < 100 ms for both. The same probes run first without the attack (notes), and the
 * gateway's CPU per hostile request is measured during the attack.
 *
 * The attacker runs in its own process (bench/hostile-caller-worker.ts), as on another machine: in
 * the bench process it delayed the second caller's own timers and reads. The gateway starts cold, as
 * a new replica does, but first refuses each kind of request REFUSAL_WARM_UP times from a third
 * address (127.0.0.4, its own allowance), as a running one has: a first refusal runs code V8 has not
 * compiled yet (every other row warms its gateway up: support/warm-up.ts).
 */

const PROBE_HEALTHZ_PER_SECOND = 20;
const PROBE_EXCHANGES_PER_SECOND = 20;
const WARM_UP_ADDRESS = "127.0.0.4";
/** Refusals of each kind sent before measuring: 4 × 8 kinds fit the warm-up address's burst of 40. */
const REFUSAL_WARM_UP = 4;
/** The attacker process is started this long before the attack begins (it loads, then waits). */
const ATTACKER_START_MS = 3000;

export async function measureHostileCaller(options: { emulator: BenchEmulator; durationSeconds: number }): Promise<BenchRow[]> {
  // The caller rate limit back at its defaults (the bench's other gateways turn it off).
  // Introspection on (NODE_ENV=production turns it off): half the attacker's requests are valid introspection documents.
  const gateway = await startBenchGateway({ name: "gateway-hostile", emulatorUrl: options.emulator.url, env: { RATE_LIMIT_CALLER_PER_SECOND: undefined, RATE_LIMIT_CALLER_BURST: undefined, INTROSPECTION: "true" } });
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
    await warmUpRefusals(gateway.url);
    const [quietHealthz, quietExchanges] = await probe();

    const callsBefore = await options.emulator.createTokenWithIamCalls();
    const startAt = Date.now() + ATTACKER_START_MS;
    const attacker = spawnBenchProcess({
      name: "hostile-caller", args: [...programs().hostileCallerWorker(), gateway.url, String(startAt), String(durationMs)], env: {}, ready: /hostile-caller result (\{.*\})/,
    });
    // Awaited after the probes; a failure to start meanwhile must not go unhandled.
    attacker.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
    const cpuBefore = cpuTimeMs(gateway.pid);
    const [healthzAnswers, exchangeAnswers] = await probe();
    const attackerProcess = await attacker;
    await attackerProcess.stop();
    const hostile = JSON.parse(attackerProcess.url) as { requests: number; statuses: Record<string, number>; p99Ms: number; framing: { connections: number; answers: number } } | { error: string };
    const cpuAfter = cpuTimeMs(gateway.pid);
    if ("error" in hostile) throw new Error(`the hostile caller did not run: ${hostile.error}`);
    const upstreamCalls = (await options.emulator.createTokenWithIamCalls()) - callsBefore;

    const allRequests = hostile.requests + healthzAnswers.length + exchangeAnswers.length;
    const cpuUsPerRequest = cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / allRequests);
    const attack = `hostile caller (own process): ${hostile.requests} requests, every other one a valid introspection document (${DEFAULT_CALLER_ALLOWANCE.burst} at once, then ${DEFAULT_CALLER_ALLOWANCE.perSecond}/s), statuses ${JSON.stringify(hostile.statuses)}, p99 ${hostile.p99Ms} ms; beside it from the same address, pipelined floods on 4 connections and a chunked 60 KB body in 1-byte chunks every 100 ms: ${hostile.framing.connections} connections, ${hostile.framing.answers} answers; gateway CPU per request (all callers) ${cpuUsPerRequest ?? "–"} µs`;
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

/** Each kind of refusal REFUSAL_WARM_UP times, one after another, from WARM_UP_ADDRESS. */
async function warmUpRefusals(url: string): Promise<void> {
  const agent = callerAgent();
  try {
    for (let round = 0; round < REFUSAL_WARM_UP; round++) {
      for (const refusal of EXPENSIVE_REFUSALS) {
        const { url: target, ...request } = refusalRequest(url, refusal);
        await requestFrom(agent, target, { localAddress: WARM_UP_ADDRESS, ...request });
      }
      await requestFrom(agent, url, { localAddress: WARM_UP_ADDRESS, body: validIntrospection(-1 - round) });
    }
  } finally {
    agent.destroy();
  }
}

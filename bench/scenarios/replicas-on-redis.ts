import type { BenchEmulator } from "../support/emulator.js";
import { startBenchGateway } from "../support/gateway.js";
import { warmUpGateways } from "../support/warm-up.js";
import { jwtBearerExchangeBody, rotate } from "../support/graphql-bodies.js";
import { postOnce, round, runLoad, runLoadSpread } from "../support/load.js";
import { loadFields, measureSpreadThroughput, measureThroughput } from "../support/measure.js";
import { cpuTimeMs, peakRssMb, type BenchProcess } from "../support/processes.js";
import { startBenchRedis, type BenchRedis } from "../support/redis.js";
import { medianRow } from "../support/rounds.js";
import type { BenchRow, BenchTiming } from "../support/types.js";

/**
 * The production topology: three gateway replicas sharing one Redis (the bench's own, so its
 * command counters are theirs alone) and one GATEWAY_SECRET, against one memory-mode gateway under
 * the same load in alternating rounds, on the same cores. Both sides get `connections` in total: the
 * replicas split them (a connection-level balancer pins each keep-alive connection to one replica).
 *
 * - f / f-memory: distinct JWT-bearer exchanges (each one upstream call), as (a).
 * - g / g-memory: one exchange answered again and again. Replica 1 made it; replicas 2 and 3 serve it.
 *   Each of them reads the answer from Redis once (its first hit), then from its own process-local
 *   LRU: g measures that steady state, so its Redis cost per hit is 0.
 * - g-first: every request is a replica's first hit on an answer another replica cached (replica 1
 *   exchanged a pool; replicas 2 and 3 each ask for every answer once): the Redis read, unsealing and
 *   decoding a cross-replica hit costs, measured on its own.
 */
export interface ReplicaRounds {
  emulator: BenchEmulator;
  rounds: number;
  roundTiming: (round: number) => BenchTiming;
  /** Enough distinct assertions for this rate over a round (run.ts poolSize, 1.5× over is the caller's). */
  poolSize: (rate: number, timing: BenchTiming) => number;
  wanted: (id: "f" | "g") => boolean;
}

const REPLICAS = 3;
/** Requests per replica in a Redis-command count (countRedisCommands): enough that one stray command shows as < 0.01 per answer. */
const COUNTED_EXCHANGES_PER_REPLICA = 100;
const COUNTED_HITS_PER_REPLICA = 500;

export async function measureReplicasOnRedis(options: ReplicaRounds): Promise<BenchRow[]> {
  const redis = await startBenchRedis("bench-redis");
  const env = { REDIS_URL: redis.url };
  const replicas = await Promise.all(Array.from({ length: REPLICAS }, (_, i) => startBenchGateway({ name: `replica-${i + 1}`, emulatorUrl: options.emulator.url, env })));
  const memory = await startBenchGateway({ name: "gateway-memory", emulatorUrl: options.emulator.url });
  try {
    // Each side measured warm (support/warm-up.ts); the replicas one after the other's load, as f spreads it.
    await warmUpGateways(options.emulator, [memory], "memory");
    await warmUpGateways(options.emulator, replicas, "replicas");
    return [
      ...(options.wanted("f") ? await uncachedRounds(options, redis, replicas, memory) : []),
      ...(options.wanted("g") ? await cacheHitRounds(options, redis, replicas, memory) : []),
    ];
  } finally {
    await Promise.all([...replicas, memory].map((p) => p.stop()));
    await redis.stop();
  }
}

async function uncachedRounds(options: ReplicaRounds, redis: BenchRedis, replicas: BenchProcess[], memory: BenchProcess): Promise<BenchRow[]> {
  const { emulator } = options;
  const memoryRounds: BenchRow[] = [];
  const redisRounds: BenchRow[] = [];
  const wrapped: string[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const timing = options.roundTiming(i);
    // As (a): sized from the last rate measured (either side), 1.5× over; each side sends the pool once.
    // Sized from the fastest round so far (never below 2,000/s), twice over: a quiet round after a busy
    // one ran the memory-mode gateway past a pool sized from the round before, repeating exchanges.
    const rates = [...memoryRounds, ...redisRounds].map((row) => row.requestsPerSecond ?? 0);
    const expectedRate = Math.max(2000, ...rates);
    const pool = await emulator.mintAssertions(options.poolSize(expectedRate * 2, timing), `replicas-distinct-${i}`);
    const countingPool = await emulator.mintAssertions(COUNTED_EXCHANGES_PER_REPLICA * REPLICAS, `replicas-counted-${i}`);
    const memoryBodies = rotate(pool, jwtBearerExchangeBody);
    memoryRounds.push(await measureThroughput({ id: "f-memory", scenario: "(f) distinct exchanges, one memory-mode gateway", system: "gateway", server: memory, emulator, timing, nextBody: memoryBodies.next }));
    const redisBodies = rotate(pool, jwtBearerExchangeBody);
    const { load: _load, ...row } = await measureSpreadThroughput({ id: "f", scenario: `(f) distinct exchanges, ${REPLICAS} gateways on one Redis`, system: "gateways x3", servers: replicas, emulator, timing, nextBody: redisBodies.next });
    const counted = await countRedisCommands(redis, { urls: replicas.map((r) => r.url), connections: timing.connections, amountPerUrl: COUNTED_EXCHANGES_PER_REPLICA, nextBody: rotate(countingPool, jwtBearerExchangeBody).next });
    redisRounds.push(withCount(row, counted));
    for (const [side, bodies] of [["f-memory", memoryBodies], ["f", redisBodies]] as const) {
      if (bodies.wrapped()) wrapped.push(`${side} round ${i + 1}: pool of ${pool.length}`);
    }
  }
  const invalid = wrapped.length > 0 ? `assertion pool wrapped (${wrapped.join(", ")}): some exchanges repeated (cache hits)` : undefined;
  return [withCommands(medianRow(redisRounds, "requestsPerSecond"), redisRounds, invalid), withInvalid(medianRow(memoryRounds, "requestsPerSecond"), invalid)];
}

async function cacheHitRounds(options: ReplicaRounds, redis: BenchRedis, replicas: BenchProcess[], memory: BenchProcess): Promise<BenchRow[]> {
  const { emulator } = options;
  const [maker, ...servers] = replicas as [BenchProcess, ...BenchProcess[]];
  const [assertion] = await emulator.mintAssertions(1, "replicas-same");
  const sameBody = jwtBearerExchangeBody(assertion!);
  // Replica 1 makes the exchange (and caches it in Redis); the memory gateway makes its own.
  for (const gateway of [maker, memory]) await exchangeOnce(gateway, sameBody);
  const memoryRounds: BenchRow[] = [];
  const redisRounds: BenchRow[] = [];
  const firstHitRounds: BenchRow[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const timing = options.roundTiming(i);
    memoryRounds.push(await measureThroughput({ id: "g-memory", scenario: "(g) the same exchange again, one memory-mode gateway", system: "gateway", server: memory, emulator, timing, nextBody: () => sameBody }));
    const { load: _load, ...row } = await measureSpreadThroughput({ id: "g", scenario: "(g) an exchange replica 1 made, served by replicas 2 and 3 (after each one's first hit: its local LRU)", system: "gateways x3", servers, emulator, timing, nextBody: () => sameBody });
    const counted = await countRedisCommands(redis, { urls: servers.map((s) => s.url), connections: timing.connections, amountPerUrl: COUNTED_HITS_PER_REPLICA, nextBody: () => sameBody });
    redisRounds.push(withCount(row, counted));
    firstHitRounds.push(await measureFirstCrossReplicaHits({ emulator, redis, maker, servers, timing, round: i }));
  }
  return [
    withCommands(medianRow(redisRounds, "requestsPerSecond"), redisRounds),
    medianRow(memoryRounds, "requestsPerSecond"),
    withCommands(medianRow(firstHitRounds, "requestsPerSecond"), firstHitRounds),
  ];
}

/**
 * g-first: replica 1 exchanges a fresh pool (uncached exchanges, not measured), then replicas 2 and 3
 * each ask for every answer once, all at once: each request is a first hit on another replica's answer.
 * Sized for about a round's measured time at a cross-replica hit's rate.
 */
async function measureFirstCrossReplicaHits(options: { emulator: BenchEmulator; redis: BenchRedis; maker: BenchProcess; servers: BenchProcess[]; timing: BenchTiming; round: number }): Promise<BenchRow> {
  const { emulator, redis, servers, timing } = options;
  const perReplica = Math.max(1000, Math.round(750 * timing.durationSeconds));
  const pool = await emulator.mintAssertions(perReplica, `replicas-first-hit-${options.round}`);
  const made = await runLoad({ url: options.maker.url, connections: timing.connections, amount: pool.length, nextBody: rotate(pool, jwtBearerExchangeBody).next });
  if (made.failures > 0) throw new Error(`g-first: replica 1's exchanges failed (${made.failures}): ${made.sampleFailure ?? ""}`);
  // Every request of this run is counted (an amount run waits for each answer): its own count, no separate pass.
  await redis.waitQuiet();
  await redis.resetStats();
  const callsBefore = await emulator.createTokenWithIamCalls();
  const redisCpuBefore = cpuTimeMs(redis.process.pid);
  const cpuBefore = servers.map((s) => cpuTimeMs(s.pid) ?? 0);
  const load = await runLoadSpread({ urls: servers.map((s) => s.url), connections: timing.connections, amountPerUrl: pool.length, nextBody: servers.map(() => rotate(pool, jwtBearerExchangeBody).next) });
  const cpuMs = servers.reduce((total, s, i) => total + (cpuTimeMs(s.pid) ?? 0) - cpuBefore[i]!, 0);
  const commands = summarise(await redis.commandCalls(), load.successes, (cpuTimeMs(redis.process.pid) ?? 0) - (redisCpuBefore ?? 0));
  if (load.failures > 0) throw new Error(`g-first: ${load.failures} cross-replica hits failed: ${load.sampleFailure ?? ""}`);
  return {
    id: "g-first",
    scenario: `(g) first cross-replica hits: ${pool.length} answers replica 1 made, each asked once of replicas 2 and 3`,
    system: "gateways x3",
    connections: timing.connections,
    ...loadFields(load),
    upstreamCalls: (await emulator.createTokenWithIamCalls()) - callsBefore,
    cpuUsPerRequest: load.requests === 0 ? null : Math.round((cpuMs * 1000) / load.requests),
    peakRssMb: Math.max(...servers.map((s) => peakRssMb(s.pid) ?? 0)) || null,
    redisCommandsPerRequest: commands.perRequest,
    notes: commands.notes,
  };
}

/**
 * Redis's own count of the commands one answer costs (INFO commandstats): once Redis is quiet (the
 * previous run's last requests done), CONFIG RESETSTAT, exactly `amountPerUrl` requests per replica
 * (autocannon waits for every answer, and a gateway finishes its Redis work before it answers), then
 * the counters divided by the answers. A timed run cannot give this: the requests still in flight
 * when it starts and stops do Redis work that no answer in the window accounts for.
 */
async function countRedisCommands(redis: BenchRedis, options: { urls: string[]; connections: number; amountPerUrl: number; nextBody: () => string }): Promise<{ perRequest: number | null; notes: string }> {
  await redis.waitQuiet();
  await redis.resetStats();
  const cpuBefore = cpuTimeMs(redis.process.pid);
  const load = await runLoadSpread(options);
  const cpuMs = (cpuTimeMs(redis.process.pid) ?? 0) - (cpuBefore ?? 0);
  if (load.failures > 0) throw new Error(`counting Redis commands: ${load.failures} requests failed: ${load.sampleFailure ?? ""}`);
  return summarise(await redis.commandCalls(), load.successes, cpuMs);
}

/** Commands per answered request, in total and per command, and redis-server's CPU per request. */
function summarise(calls: Record<string, number>, answered: number, redisCpuMs: number): { perRequest: number | null; notes: string } {
  if (answered === 0) return { perRequest: null, notes: "Redis: no request answered" };
  const total = Object.values(calls).reduce((sum, n) => sum + n, 0);
  const breakdown = Object.entries(calls).sort(([, x], [, y]) => y - x).map(([command, n]) => `${command} ${round(n / answered, 2)}`).join(", ");
  return {
    perRequest: round(total / answered, 2),
    notes: `Redis commands per answer ${round(total / answered, 2)} (${breakdown || "none"}; INFO commandstats, script-internal calls included); redis-server CPU ${Math.round((redisCpuMs * 1000) / answered)} µs/answer`,
  };
}

function withCount(row: BenchRow, counted: { perRequest: number | null; notes: string }): BenchRow {
  return { ...row, redisCommandsPerRequest: counted.perRequest, notes: [row.notes, counted.notes].filter(Boolean).join("; ") };
}

/** The median round, carrying the largest commands-per-request of all rounds (a target bounds the worst round). */
function withCommands(row: BenchRow, rounds: readonly BenchRow[], invalid?: string): BenchRow {
  const perRequest = rounds.map((r) => r.redisCommandsPerRequest ?? null);
  const worst = perRequest.some((n) => n === null) ? null : Math.max(...(perRequest as number[]));
  const used = worst === null || worst > 0 ? undefined : "the replicas sent Redis no command: they were not on Redis (fell back to process memory?)";
  return withInvalid({ ...row, redisCommandsPerRequest: worst, notes: `${row.notes ?? ""}; Redis commands per answer per round ${perRequest.join(" / ")}` }, invalid ?? (row.id === "g" ? undefined : used));
}

function withInvalid(row: BenchRow, invalid: string | undefined): BenchRow {
  return invalid === undefined ? row : { ...row, invalid };
}

async function exchangeOnce(gateway: BenchProcess, body: string): Promise<void> {
  const answer = await postOnce(gateway.url, body);
  if (answer.status !== 200 || answer.text.includes('"errors"')) throw new Error(`${gateway.name}: the exchange failed: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
}

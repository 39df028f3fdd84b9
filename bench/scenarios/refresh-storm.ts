import { Socket } from "node:net";
import type { BenchEmulator } from "../support/emulator.js";
import { sendBurst } from "../support/burst.js";
import { startBenchGateway } from "../support/gateway.js";
import { jwtBearerExchangeBody, refreshBody } from "../support/graphql-bodies.js";
import { peakRssMb } from "../support/processes.js";
import type { BenchRow } from "../support/types.js";

export const BENCH_REDIS_URL = "redis://127.0.0.1:6379";

/**
 * (d) A refresh storm over 3 gateways on one Redis: one refresh token, `callers` concurrent
 * refreshes spread round-robin across three gateway processes sharing REDIS_URL and
 * GATEWAY_SECRET. Refresh-race safety means one upstream call and every caller served the
 * same new pair. The bench's GATEWAY_SECRET is fresh per run, so its Redis keys meet no other run's.
 */
export async function measureRefreshStorm(options: { emulator: BenchEmulator; rounds: number; callers: number }): Promise<BenchRow> {
  const base = {
    id: "d",
    scenario: `(d) refresh storm: ${options.callers} concurrent refreshes over 3 gateways on one Redis ×${options.rounds} rounds`,
    system: "gateways x3" as const,
    connections: options.callers,
    requestsPerSecond: null,
    successesPerSecond: null,
    p50Ms: null,
  };
  if (!(await redisAnswers(BENCH_REDIS_URL))) {
    return { ...base, p99Ms: null, requests: 0, failures: 0, upstreamCalls: null, peakRssMb: null, notes: `SKIPPED: no Redis at ${BENCH_REDIS_URL}` };
  }
  const env = { REDIS_URL: BENCH_REDIS_URL };
  const gateways = await Promise.all([0, 1, 2].map((i) => startBenchGateway({ name: `storm-gateway-${i}`, emulatorUrl: options.emulator.url, env })));
  try {
    const urls = gateways.map((g) => g.url);
    const assertions = await options.emulator.mintAssertions(options.rounds, "storm");
    const callsPerRound: number[] = [];
    const walls: number[] = [];
    const servedPerRound: string[] = [];
    const errorCodes: Record<string, number> = {};
    let failures = 0;
    for (const assertion of assertions) {
      const refreshToken = await exchangeForRefreshToken(urls[0]!, assertion);
      const before = await options.emulator.createTokenWithIamCalls();
      const burst = await sendBurst(urls, Array.from({ length: options.callers }, () => refreshBody(refreshToken)), "refreshToken");
      callsPerRound.push((await options.emulator.createTokenWithIamCalls()) - before);
      walls.push(burst.wallMs);
      failures += burst.failures;
      servedPerRound.push(`${burst.successes} ok/${burst.distinctAccessTokens} distinct`);
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
      notes: `upstream calls per round ${callsPerRound.join(",")}; served ${servedPerRound.join(", ")}; burst wall time (p99 column) ${walls.join("/")} ms${errors ? `; errors ${errors}` : ""}${warnings ? `; gateway warnings: ${warnings}` : ""}`,
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

async function exchangeForRefreshToken(url: string, assertion: string): Promise<string> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: jwtBearerExchangeBody(assertion) });
  const answer = (await response.json()) as { data?: { createTokenWithIAM?: { refreshToken?: string } } };
  const refreshToken = answer.data?.createTokenWithIAM?.refreshToken;
  if (!refreshToken) throw new Error(`refresh storm: the exchange for a refresh token failed: ${JSON.stringify(answer).slice(0, 300)}`);
  return refreshToken;
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

/**
 * `npx tsx bench/http-micro.ts [--rounds=7] [--requests=3000] [--concurrency=8] [--scenarios=typename,b]`:
 * the gateway's HTTP path in ONE process, client included, over real loopback sockets: µs of wall
 * time per request while that single thread is saturated, i.e. the server's CPU per request plus a
 * fixed client share. Rounds alternate the scenarios and the MINIMUM per scenario is reported: on a
 * shared host other tenants only ever add time, so the minimum is the stable figure for comparing
 * two builds (bench/run.ts measures throughput the way users see it).
 * The emulator runs as its own process (needs dist/: npm run build). Wired as src/main.ts wires it,
 * production settings, rate limits off.
 */
import "reflect-metadata";
import { Agent, request } from "node:http";
import { pino } from "pino";
import { loadConfig } from "../src/config/index.js";
import { createLogger } from "../src/logging/logger.js";
import { createGatewayMetrics } from "../src/metrics/metrics.js";
import { createGatewayServer, createReadinessCheck } from "../src/server/index.js";
import { createGatewayStore } from "../src/store/index.js";
import { createTokenService } from "../src/tokens/index.js";
import { createUpstream } from "../src/upstream/index.js";
import { usePrograms } from "./support/build.js";
import { startBenchEmulator } from "./support/emulator.js";
import { jwtBearerExchangeBody, rotate, TYPENAME_BODY } from "./support/graphql-bodies.js";
import { EMULATOR_CREDENTIALS, REGION, runBenchScript } from "./support/processes.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=") as [string, string]));
const rounds = Number(args.rounds ?? 7);
const requestsPerRound = Number(args.requests ?? 3000);
const concurrency = Number(args.concurrency ?? 8);

async function main(): Promise<void> {
  usePrograms("dist", { build: args.build === "true" });
  const emulator = await startBenchEmulator("emulator");
  const env = {
    NODE_ENV: "production", GATEWAY_SECRET: "a".repeat(64), LOG_LEVEL: "info", PORT: "0", HOST: "127.0.0.1",
    SSO_OIDC_ENDPOINT: emulator.url, AWS_REGION: REGION, RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0",
  };
  const config = loadConfig(env);
  // Log lines go where a log shipper would read them; here, nowhere (a file write is the same syscall).
  const logger = createLogger({ level: config.logLevel, destination: pino.destination({ dest: "/dev/null", sync: true }) });
  const upstream = createUpstream({
    region: REGION, endpoint: emulator.url, credentials: EMULATOR_CREDENTIALS,
    timeoutMs: config.upstreamTimeoutMs, connectTimeoutMs: config.upstreamConnectTimeoutMs, maxAttempts: config.upstreamMaxAttempts,
    circuitBreaker: config.circuitBreaker, logger,
  });
  const store = createGatewayStore({ redisUrl: undefined, logger });
  const metrics = createGatewayMetrics();
  const tokenService = createTokenService({ config, upstream, logger, store, metrics });
  const server = await createGatewayServer({ config, tokenService, logger, upstreamLabel: emulator.url, store, metrics, readiness: createReadinessCheck({ upstream, store }) });
  const { url } = await server.listen(0, "127.0.0.1");

  const bodies: Record<string, () => string> = { typename: () => TYPENAME_BODY };
  const scenarios = (args.scenarios ?? "typename,b").split(",");
  if (scenarios.includes("b")) {
    const body = jwtBearerExchangeBody((await emulator.mintAssertions(1, `same-${Date.now()}`))[0]!);
    bodies.b = () => body;
  }
  if (scenarios.includes("a")) bodies.a = rotate(await emulator.mintAssertions(rounds * requestsPerRound + 1000, `distinct-${Date.now()}`), jwtBearerExchangeBody).next;

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || text.includes('"errors"')) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolve();
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  const round = async (nextBody: () => string): Promise<number> => {
    let left = requestsPerRound;
    const startedAt = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await post(nextBody());
    }));
    return Number(process.hrtime.bigint() - startedAt) / 1000 / requestsPerRound;
  };

  const samples: Record<string, number[]> = Object.fromEntries(scenarios.map((name) => [name, []]));
  for (const name of scenarios) await round(bodies[name]!); // warm-up: JIT, compiled documents, the cache entry
  for (let r = 0; r < rounds; r++) for (const name of scenarios) samples[name]!.push(await round(bodies[name]!));
  for (const name of scenarios) {
    const sorted = [...samples[name]!].sort((x, y) => x - y);
    process.stdout.write(`${name.padEnd(9)} min ${sorted[0]!.toFixed(1)} µs/req  median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs/req  (${rounds} rounds × ${requestsPerRound}, concurrency ${concurrency}, client in-process)\n`);
  }
  agent.destroy();
  await server.close();
  upstream.destroy();
  await store.close();
}

runBenchScript("http-micro", main);

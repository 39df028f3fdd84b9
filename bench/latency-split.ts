/**
 * `npx tsx bench/latency-split.ts [--duration=5] [--build=false]`: where the gateway's latency goes at
 * concurrency 1 (distinct exchanges): the client's p50 next to the gateway's own means from
 * /metrics — the whole GraphQL operation (graphql_duration) and the SDK call inside it
 * (upstream_duration) — so HTTP/fastify, GraphQL and SDK shares can be told apart.
 */
import { usePrograms } from "./support/build.js";
import { startBenchEmulator } from "./support/emulator.js";
import { startBenchGateway } from "./support/gateway.js";
import { jwtBearerExchangeBody, rotate } from "./support/graphql-bodies.js";
import { runLoad } from "./support/load.js";
import { runBenchScript } from "./support/processes.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=") as [string, string]));
const durationSeconds = Number(args.duration ?? 5);

async function meanMs(metricsUrl: string, name: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const sum = text.split("\n").filter((line) => line.startsWith(`${name}_sum`)).reduce((total, line) => total + Number(line.split(" ").pop()), 0);
  const count = text.split("\n").filter((line) => line.startsWith(`${name}_count`)).reduce((total, line) => total + Number(line.split(" ").pop()), 0);
  return { sum: sum * 1000, count };
}

async function main(): Promise<void> {
  usePrograms("dist", { build: args.build !== "false" });
  const emulator = await startBenchEmulator("emulator");
  const gateway = await startBenchGateway({ name: "gateway", emulatorUrl: emulator.url });
  const metricsUrl = gateway.url.replace(/\/graphql$/, "/metrics");
  const bodies = rotate(await emulator.mintAssertions(Number(args.pool ?? 5000), `c1-${Date.now()}`), jwtBearerExchangeBody);
  await runLoad({ url: gateway.url, connections: 1, durationSeconds: 2, nextBody: bodies.next });
  const [graphqlBefore, upstreamBefore] = await Promise.all([meanMs(metricsUrl, "idc_gateway_graphql_duration_seconds"), meanMs(metricsUrl, "idc_gateway_upstream_duration_seconds")]);
  const load = await runLoad({ url: gateway.url, connections: 1, durationSeconds, nextBody: bodies.next });
  const [graphqlAfter, upstreamAfter] = await Promise.all([meanMs(metricsUrl, "idc_gateway_graphql_duration_seconds"), meanMs(metricsUrl, "idc_gateway_upstream_duration_seconds")]);
  const mean = (after: { sum: number; count: number }, before: { sum: number; count: number }) => ((after.sum - before.sum) / (after.count - before.count)).toFixed(3);
  process.stdout.write(`c1: client p50 ${load.p50Ms} ms (${load.requestsPerSecond} req/s); gateway mean: graphql operation ${mean(graphqlAfter, graphqlBefore)} ms, SDK call ${mean(upstreamAfter, upstreamBefore)} ms${bodies.wrapped() ? " (pool wrapped!)" : ""}\n`);
}

runBenchScript("latency-split", main);

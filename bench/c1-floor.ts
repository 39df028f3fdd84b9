/**
 * `npx tsx bench/c1-floor.ts [--rounds=3] [--seconds=3]`: what sits between the direct SDK call and the
 * gateway at concurrency 1. Alternating rounds of: the SDK calling the emulator; the SDK calling it
 * through a pass-through proxy process (bench/hop-proxy.ts: one more process, two more loopback hops,
 * no GraphQL); a client calling the naive reference gateway (bench/naive-gateway.ts: Apollo + one SDK
 * call, nothing else); and a client calling the gateway (which calls the emulator with the SDK). Prints
 * the median p50 of each and the differences: the proxy's is the floor any separate gateway process pays
 * on this machine, the naive gateway's what Apollo Server adds to it, the rest is the gateway's own
 * work. Needs dist/ (npm run build).
 */
import { usePrograms } from "./support/build.js";
import { startBenchEmulator } from "./support/emulator.js";
import { startBenchGateway, startNaiveGateway } from "./support/gateway.js";
import { warmUpGateways } from "./support/warm-up.js";
import { runBenchScript, spawnBenchProcess } from "./support/processes.js";
import { measureDirectSdk } from "./scenarios/direct-sdk.js";
import { measureGatewayAtConcurrency1 } from "./scenarios/latency-at-concurrency-1.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=") as [string, string]));
const rounds = Number(args.rounds ?? 3);
const seconds = Number(args.seconds ?? 3);

async function main(): Promise<void> {
  usePrograms("dist", { build: false });
  const emulator = await startBenchEmulator("emulator");
  const gateway = await startBenchGateway({ name: "gateway", emulatorUrl: emulator.url });
  const naive = await startNaiveGateway(emulator.url);
  await warmUpGateways(emulator, [gateway, naive], "c1-floor");
  const proxy = await spawnBenchProcess({ name: "hop-proxy", args: ["--import", "tsx", "bench/hop-proxy.ts", emulator.url], env: {}, ready: /hop-proxy listening at (\S+)/ });
  const shared = await emulator.mintAssertions(3000, `floor-shared-${Date.now()}`);
  const timing = { warmupSeconds: 1, durationSeconds: seconds };
  const p50 = { direct: [] as number[], proxied: [] as number[], naive: [] as number[], gateway: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const pool = await emulator.mintAssertions(2 * Math.max(1500, 800 * (seconds + 1)), `floor-${round}-${Date.now()}`);
    p50.direct.push((await measureDirectSdk({ id: "c1-direct", scenario: "", emulatorUrl: emulator.url, assertions: shared, concurrency: 1, durationSeconds: seconds })).p50Ms!);
    p50.proxied.push((await measureDirectSdk({ id: "c1-proxied", scenario: "", emulatorUrl: proxy.url, assertions: shared, concurrency: 1, durationSeconds: seconds })).p50Ms!);
    const half = Math.floor(pool.length / 2);
    p50.naive.push((await measureGatewayAtConcurrency1({ gateway: naive, emulator, assertions: pool.slice(0, half), ...timing })).p50Ms!);
    p50.gateway.push((await measureGatewayAtConcurrency1({ gateway, emulator, assertions: pool.slice(half), ...timing })).p50Ms!);
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  const [direct, proxied, viaNaive, viaGateway] = [median(p50.direct), median(p50.proxied), median(p50.naive), median(p50.gateway)];
  const added = (ms: number) => `+${(ms - direct).toFixed(3)}`;
  process.stdout.write(`p50 per round (ms): direct ${p50.direct.join(" / ")}; through the pass-through proxy ${p50.proxied.join(" / ")}; through the naive gateway ${p50.naive.join(" / ")}; through the gateway ${p50.gateway.join(" / ")}\n`);
  process.stdout.write(`median p50: direct ${direct} ms, proxied ${proxied} ms (${added(proxied)}), naive gateway ${viaNaive} ms (${added(viaNaive)}), gateway ${viaGateway} ms (${added(viaGateway)}; ${(viaGateway - proxied).toFixed(3)} beyond the proxy, ${(viaGateway - viaNaive).toFixed(3)} beyond the naive gateway)\n`);
}

runBenchScript("c1-floor", main);

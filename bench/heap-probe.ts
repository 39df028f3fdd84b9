/**
 * `npx tsx bench/heap-probe.ts [--flags="--max-old-space-size=160 --max-semi-space-size=16"]`: peak RSS and
 * V8 heap spaces of one compiled gateway (polled from its /metrics every 250 ms) through 6 s of
 * { __typename }, 6 s of distinct exchanges and 8 s of the same exchange (32 connections). --flags
 * replaces the image's heap budget (bench/support/build.ts PRODUCTION_HEAP_FLAGS; "" for Node's defaults),
 * to see what a heap budget does to peak memory. Needs dist/ (npm run build).
 */
import { usePrograms } from "./support/build.js";
import { startBenchEmulator } from "./support/emulator.js";
import { startBenchGateway } from "./support/gateway.js";
import { jwtBearerExchangeBody, rotate, TYPENAME_BODY } from "./support/graphql-bodies.js";
import { runLoad } from "./support/load.js";
import { runBenchScript } from "./support/processes.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split(/=(.*)/s) as [string, string]));

async function main(): Promise<void> {
  usePrograms("dist", { build: false });
  const emulator = await startBenchEmulator("emulator");
  // Later V8 flags win: an explicit --flags overrides the image's budget that programs().gateway() puts first.
  const overrides = args.flags === undefined ? [] : args.flags === "" ? ["--max-old-space-size=4096", "--max-semi-space-size=16"] : args.flags.split(" ");
  const gateway = await startBenchGateway({ name: "gateway", emulatorUrl: emulator.url, nodeFlags: overrides });
  const metricsUrl = gateway.url.replace(/\/graphql$/, "/metrics");
  const peaks = new Map<string, number>();
  const poll = setInterval(() => {
    void fetch(metricsUrl).then((response) => response.text()).then((text) => {
      for (const line of text.split("\n")) {
        const match = /^idc_gateway_(process_resident_memory_bytes|nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes|nodejs_heap_space_size_total_bytes\{space="(\w+)"\})\s+(\S+)/.exec(line);
        if (!match) continue;
        const name = match[2] ? `space ${match[2]}` : match[1]!;
        peaks.set(name, Math.max(peaks.get(name) ?? 0, Number(match[3]) / 1048576));
      }
    }, () => undefined);
  }, 250);
  const pool = await emulator.mintAssertions(9000, `heap-${Date.now()}`);
  const same = jwtBearerExchangeBody(pool[0]!);
  await runLoad({ url: gateway.url, connections: 32, durationSeconds: 6, nextBody: () => TYPENAME_BODY });
  await runLoad({ url: gateway.url, connections: 32, durationSeconds: 6, nextBody: rotate(pool.slice(1), jwtBearerExchangeBody).next });
  await runLoad({ url: gateway.url, connections: 32, durationSeconds: 8, nextBody: () => same });
  clearInterval(poll);
  process.stdout.write(`flags: ${overrides.join(" ") || "the image's heap budget"}\npeaks (MB): ${[...peaks].filter(([, mb]) => mb >= 1).map(([name, mb]) => `${name} ${mb.toFixed(0)}`).join(", ")}\n`);
}

runBenchScript("heap-probe", main);

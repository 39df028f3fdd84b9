/**
 * `npx tsx bench/cpu-split.ts [--scenarios=typename,b,a] [--duration=5] [--build=false]`: user and
 * system CPU per request of one compiled gateway under each scenario (32 connections), to tell
 * JavaScript work (user) from socket and syscall work (system) when comparing two builds.
 * --gateway-env=K=V,K=V starts the gateway with those settings, to price one feature.
 */
import { readFileSync } from "node:fs";
import { usePrograms } from "./support/build.js";
import { startBenchEmulator } from "./support/emulator.js";
import { startBenchGateway } from "./support/gateway.js";
import { warmUpGateways } from "./support/warm-up.js";
import { jwtBearerExchangeBody, rotate, TYPENAME_BODY } from "./support/graphql-bodies.js";
import { runLoad } from "./support/load.js";
import { runBenchScript } from "./support/processes.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=") as [string, string]));
const durationSeconds = Number(args.duration ?? 5);

function cpuTicks(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

async function main(): Promise<void> {
  usePrograms("dist", { build: args.build !== "false" });
  const emulator = await startBenchEmulator("emulator");
  // --gateway-env=K=V,K=V: settings for the gateway under test (e.g. LOG_LEVEL=warn), to price one feature.
  const gatewayEnv = Object.fromEntries((args["gateway-env"] ?? "").split(",").filter(Boolean).map((pair) => pair.split("=") as [string, string]));
  const gateway = await startBenchGateway({ name: "gateway", emulatorUrl: emulator.url, env: gatewayEnv });
  await warmUpGateways(emulator, [gateway], "cpu-split");
  for (const scenario of (args.scenarios ?? "typename,b").split(",")) {
    let nextBody: () => string;
    if (scenario === "typename") nextBody = () => TYPENAME_BODY;
    else if (scenario === "b") {
      const body = jwtBearerExchangeBody((await emulator.mintAssertions(1, "same"))[0]!);
      nextBody = () => body;
    } else nextBody = rotate(await emulator.mintAssertions(Number(args.pool ?? 8000), `distinct-${Date.now()}`), jwtBearerExchangeBody).next;
    await runLoad({ url: gateway.url, connections: 32, durationSeconds: 2, nextBody });
    const before = cpuTicks(gateway.pid);
    const loaderBefore = process.cpuUsage();
    const load = await runLoad({ url: gateway.url, connections: 32, durationSeconds, nextBody });
    const loader = process.cpuUsage(loaderBefore);
    const after = cpuTicks(gateway.pid);
    const per = (ms: number) => Math.round((ms * 1000) / load.requests);
    process.stdout.write(`${scenario.padEnd(9)} ${String(load.requestsPerSecond).padStart(7)} req/s  user ${per(after.user - before.user)} µs/req  system ${per(after.system - before.system)} µs/req  p50 ${load.p50Ms} ms  (load generator: ${per((loader.user + loader.system) / 1000)} µs/req)\n`);
  }
}

runBenchScript("cpu-split", main);

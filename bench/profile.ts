/**
 * `npx tsx bench/profile.ts`: CPU profiles of the gateway under (a) distinct exchanges and (b) the same
 * exchange again. Each runs a fresh compiled gateway with `node --cpu-prof`, loads it with autocannon
 * for --duration seconds (default 8, after support/warm-up.ts's warm-up and 2 s more), stops it (the profile is written on exit)
 * and prints the top self-time functions and the share per package / src folder.
 * --scenarios=a,naive,b,b-floor,typename picks what to profile (default a,b; naive: (a)'s load on the naive reference gateway; b-floor: (b)'s request and answer sizes with
 * no exchange, run.ts's reference row, so `bench/profile-diff.ts` can show what a cache hit adds to it); --keep=<dir> copies the .cpuprofile
 * files there (open them in Chrome DevTools).
 */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { usePrograms } from "./support/build.js";
import { summariseCpuProfile } from "./support/cpu-profile-summary.js";
import { startBenchEmulator, type BenchEmulator } from "./support/emulator.js";
import { warmUpGateways } from "./support/warm-up.js";
import { startBenchGateway, startNaiveGateway } from "./support/gateway.js";
import { jwtBearerExchangeBody, rotate, sizeFloorBody, TYPENAME_BODY } from "./support/graphql-bodies.js";
import { runLoad } from "./support/load.js";
import { benchWorkDir, runBenchScript } from "./support/processes.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=") as [string, string]));
const durationSeconds = Number(args.duration ?? 8);
const connections = Number(args.connections ?? 32);

async function profileScenario(name: string, emulator: BenchEmulator, nextBody: () => string, server: "gateway" | "naive" = "gateway"): Promise<void> {
  const emulatorUrl = emulator.url;
  const dir = join(benchWorkDir(), `prof-${name}`);
  mkdirSync(dir, { recursive: true });
  const nodeFlags = ["--cpu-prof", `--cpu-prof-dir=${dir}`];
  const gateway = server === "naive" ? await startNaiveGateway(emulatorUrl, nodeFlags) : await startBenchGateway({ name: `profiled-${name}`, emulatorUrl, nodeFlags });
  // Profiled warm, as the bench measures (support/warm-up.ts): bench/profile-diff.ts reads the last seconds.
  await warmUpGateways(emulator, [gateway], name);
  await runLoad({ url: gateway.url, connections, durationSeconds: 2, nextBody });
  const load = await runLoad({ url: gateway.url, connections, durationSeconds, nextBody });
  await gateway.stop();
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile written for ${name}; gateway output:\n${gateway.log().slice(-2000)}`);
  if (args.keep) {
    mkdirSync(args.keep, { recursive: true });
    copyFileSync(join(dir, file), join(args.keep, `gateway-${name}.cpuprofile`));
  }
  const summary = summariseCpuProfile(join(dir, file));
  process.stdout.write(`\n## ${name}: ${load.requestsPerSecond} req/s, p50 ${load.p50Ms} ms, ${load.requests} requests (${Math.round((summary.busyMs * 1000) / load.requests)} µs busy per measured request, start-up and warm-up included: bench/profile-diff.ts reads the measured seconds alone); profile ${summary.totalMs} ms, busy ${summary.busyMs} ms (whole process lifetime incl. start-up)\n`);
  process.stdout.write(`\nself time by place:\n${summary.places.map((p) => `  ${String(p.share).padStart(5)}%  ${String(p.selfMs).padStart(6)} ms  ${p.where}`).join("\n")}\n`);
  process.stdout.write(`\ntop functions by self time:\n${summary.functions.map((f) => `  ${String(f.share).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}  [${f.where}]`).join("\n")}\n`);
}

async function main(): Promise<void> {
  usePrograms((args.runner ?? "dist") as "dist" | "tsx", { build: args.build !== "false" });
  const emulator = await startBenchEmulator("emulator");
  const scenarios = new Set((args.scenarios ?? "a,b").split(","));
  if (scenarios.has("a")) {
    const pool = await emulator.mintAssertions(Number(args.pool ?? 6000), "profile");
    await profileScenario("a-distinct-exchanges", emulator, rotate(pool, jwtBearerExchangeBody).next);
  }
  if (scenarios.has("naive")) {
    const pool = await emulator.mintAssertions(Number(args.pool ?? 6000), "profile-naive");
    await profileScenario("a-naive-gateway", emulator, rotate(pool, jwtBearerExchangeBody).next, "naive");
  }
  if (scenarios.has("b")) {
    const [same] = await emulator.mintAssertions(1, "same");
    const sameBody = jwtBearerExchangeBody(same!);
    await profileScenario("b-same-exchange", emulator, () => sameBody);
  }
  if (scenarios.has("b-floor")) {
    const [same] = await emulator.mintAssertions(1, "floor");
    // Same length as (b)'s request; its answer's size is checked against (b)'s by run.ts's b-floor row.
    const floorBody = sizeFloorBody(jwtBearerExchangeBody(same!).length);
    await profileScenario("b-floor", emulator, () => floorBody);
  }
  if (scenarios.has("typename")) await profileScenario("typename", emulator, () => TYPENAME_BODY);
}

runBenchScript("profile", main);

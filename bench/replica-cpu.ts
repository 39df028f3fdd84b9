/**
 * `npx tsx bench/replica-cpu.ts [--sides=memory,memory3,redis3] [--rounds=3] [--duration=5] [--profile=<dir>] [--build=false]`:
 * where (f)'s extra CPU goes. Distinct JWT-bearer exchanges (32 connections) against each side in
 * alternating rounds: `memory<n>` n memory-mode gateways (`memory` = 1), `redis<n>` n gateways on the
 * bench's own Redis (connections split as in (f)); a side may carry its own Node flags after a colon
 * (`redis3:--flag;--flag`), and --node-flags=a,b go to every gateway. Prints, per side and round, req/s
 * and the gateways' user and system CPU per request plus redis-server's, so a change can be priced in
 * CPU per exchange on a busy host (rates move with the host's load, CPU per request much less), and
 * `memory3` against `redis3` separates what Redis costs from what three processes on two cores cost.
 * --profile=<dir> runs every gateway under `node --cpu-prof` and writes the profiles there
 * with windows.json (each measured window on the profiles' clock, and its request count), so an
 * analysis keeps only the measured samples.
 * --perf=true also counts, with `perf stat` (software events: no hardware counters needed), the system
 * calls and context switches per request of the gateways and of redis-server: counts that a busy host
 * does not inflate the way it inflates CPU time. --strace=true instead counts the gateways' system calls by
 * name with `strace -c -f` (slows them down: its rates and CPU figures are not comparable).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { usePrograms } from "./support/build.js";
import { startBenchEmulator } from "./support/emulator.js";
import { startBenchGateway } from "./support/gateway.js";
import { jwtBearerExchangeBody, rotate } from "./support/graphql-bodies.js";
import { runLoadSpread } from "./support/load.js";
import { benchWorkDir, runBenchScript, type BenchProcess } from "./support/processes.js";
import { startBenchRedis } from "./support/redis.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => {
  const [name, ...value] = arg.replace(/^--/, "").split("=");
  return [name!, value.join("=")];
}));
const durationSeconds = Number(args.duration ?? 5);
const rounds = Number(args.rounds ?? 3);
const connections = Number(args.connections ?? 32);
const sides = (args.sides ?? "memory,redis3").split(",");

function cpuTicksMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}
/** Runs a counting tool (perf, strace) that reports on stderr when interrupted; `stop` interrupts it and returns that report. */
function countUntilStopped(command: string, args: string[]): { stop: () => Promise<string> } {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
  child.on("error", () => undefined);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    async stop() {
      child.kill("SIGINT");
      await exited;
      return output;
    },
  };
}

/** `perf stat` over `pids` until `stop` is called: system calls and context switches (null when perf cannot run). */
function perfStat(pids: number[]): { stop: () => Promise<{ syscalls: number; switches: number } | null> } {
  const counting = countUntilStopped("perf", ["stat", "-x", ",", "-e", "raw_syscalls:sys_enter,context-switches", "-p", pids.join(",")]);
  return {
    async stop() {
      const output = await counting.stop();
      const count = (event: string) => Number(output.split("\n").find((line) => line.includes(event))?.split(",")[0]);
      const syscalls = count("raw_syscalls:sys_enter");
      const switches = count("context-switches");
      return Number.isFinite(syscalls) && Number.isFinite(switches) ? { syscalls, switches } : null;
    },
  };
}

/** `strace -c -f` over `pids` until `stop` is called: the summary table (calls per system call). */
const straceCount = (pids: number[]) => countUntilStopped("strace", ["-c", "-f", ...pids.flatMap((pid) => ["-p", String(pid)])]);

/** GCs the gateways logged so far (with --trace-gc: one line per collection). */
function gcCounts(servers: BenchProcess[]): { scavenges: number; markCompacts: number } {
  const logs = servers.map((s) => s.log());
  const count = (pattern: RegExp) => logs.reduce((total, log) => total + (log.match(pattern)?.length ?? 0), 0);
  return { scavenges: count(/Scavenge/g), markCompacts: count(/Mark-Compact/g) };
}

const sumTicks = (pids: number[]) => pids.map(cpuTicksMs).reduce((a, b) => ({ user: a.user + b.user, system: a.system + b.system }), { user: 0, system: 0 });

/** strace -c's table → "  <calls per request>  <name>" lines, most frequent first. */
function perRequestCalls(table: string, requests: number): string {
  return [...table.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/gm)]
    .map((match) => ({ name: match[2]!, calls: Number(match[1]) }))
    .filter((row) => row.name !== "total")
    .sort((a, b) => b.calls - a.calls)
    .map((row) => `  ${(row.calls / requests).toFixed(2).padStart(7)}  ${row.name}`)
    .join("\n");
}

async function main(): Promise<void> {
  usePrograms("dist", { build: args.build !== "false" });
  const profileDir = args.profile;
  // --node-flags=--trace-gc,… : extra Node flags for every gateway (e.g. to count GCs in its log).
  const extraFlags = (args["node-flags"] ?? "").split(",").filter(Boolean);
  const nodeFlags = (name: string) => {
    if (!profileDir) return extraFlags;
    const dir = join(benchWorkDir(), `prof-${name}`);
    mkdirSync(dir, { recursive: true });
    return [...extraFlags, "--cpu-prof", `--cpu-prof-dir=${dir}`];
  };
  const emulator = await startBenchEmulator("emulator");
  const redis = await startBenchRedis("bench-redis");
  // The admin connection would keep reconnecting (and this script alive) if Redis were stopped without it.
  try {
    const env = { REDIS_URL: redis.url };
    const gateways = new Map<string, BenchProcess[]>();
    for (const [index, side] of sides.entries()) {
      // A side is `memory<n>` or `redis<n>` (n gateways; `memory` = 1), optionally with its own Node flags after a colon (`redis3:--flag;--flag`), to price one setting.
      const [kind = "", flags = ""] = side.split(":");
      const memory = kind.startsWith("memory");
      const count = Number(kind.replace(/^(memory|redis)/, "") || 1);
      const sideFlags = flags.split(";").filter(Boolean);
      gateways.set(side, await Promise.all(Array.from({ length: count }, (_, i) => startBenchGateway({ name: `${kind}-${index}-${i + 1}`, emulatorUrl: emulator.url, nodeFlags: [...nodeFlags(`${kind}-${index}-${i + 1}`), ...sideFlags], ...(memory ? {} : { env }) }))));
    }
    const pool = await emulator.mintAssertions(Number(args.pool ?? 60_000), "replica-cpu");
    const bodies = rotate(pool, jwtBearerExchangeBody);
    // Measured windows on the monotonic clock V8's profiles use (µs), so an analysis keeps only these samples.
    const windows: Record<string, Array<{ fromUs: number; toUs: number; requests: number }>> = {};
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    for (let round = 0; round < rounds; round++) {
      for (const side of sides) {
        const servers = gateways.get(side)!;
        const urls = servers.map((s) => s.url);
        await runLoadSpread({ urls, connections, durationSeconds: 1, nextBody: bodies.next });
        const pids = servers.map((s) => s.pid);
        const before = sumTicks(pids);
        const redisBefore = cpuTicksMs(redis.process.pid);
        const fromUs = nowUs();
        const gatewaysPerf = args.perf === "true" ? perfStat(pids) : undefined;
        const redisPerf = args.perf === "true" ? perfStat([redis.process.pid]) : undefined;
        const gcBefore = gcCounts(servers);
        const strace = args.strace === "true" ? straceCount(pids) : undefined;
        const load = await runLoadSpread({ urls, connections, durationSeconds, nextBody: bodies.next });
        const calls = await strace?.stop();
        if (calls !== undefined) process.stdout.write(`${side}: system calls per request (strace -c -f)\n${perRequestCalls(calls, load.requests)}\n`);
        const [gatewayCounts, redisCounts] = [await gatewaysPerf?.stop(), await redisPerf?.stop()];
        const after = sumTicks(pids);
        const redisAfter = cpuTicksMs(redis.process.pid);
        const per = (ms: number) => Math.round((ms * 1000) / load.requests);
        const gcAfter = gcCounts(servers);
        const gc = extraFlags.includes("--trace-gc")
          ? `  GCs/1000 req: scavenge ${((1000 * (gcAfter.scavenges - gcBefore.scavenges)) / load.requests).toFixed(1)} mark-compact ${((1000 * (gcAfter.markCompacts - gcBefore.markCompacts)) / load.requests).toFixed(1)}`
          : "";
        (windows[side] ??= []).push({ fromUs, toUs: nowUs(), requests: load.requests });
        const perCount = (n: number) => (n / load.requests).toFixed(1);
        const counts = gatewayCounts && redisCounts
          ? `  syscalls/req gateways ${perCount(gatewayCounts.syscalls)} redis ${perCount(redisCounts.syscalls)}  switches/req gateways ${perCount(gatewayCounts.switches)} redis ${perCount(redisCounts.switches)}`
          : "";
        process.stdout.write(`round ${round + 1} ${side.padEnd(7)} ${String(load.requestsPerSecond).padStart(6)} req/s  p50 ${load.p50Ms} ms  gateways user ${per(after.user - before.user)} + system ${per(after.system - before.system)} µs/req  redis-server ${per(redisAfter.user + redisAfter.system - redisBefore.user - redisBefore.system)} µs/req${counts}  failures ${load.failures}${load.sampleFailure ? ` (${load.sampleFailure.slice(0, 200)})` : ""}${gc}\n`);
      }
    }
    if (bodies.wrapped()) process.stdout.write(`warning: the pool of ${pool.length} wrapped (some exchanges were cache hits); raise --pool\n`);
    if (args["show-gc"]) for (const g of [...gateways.values()].flat()) process.stdout.write(`${g.name}:\n${g.log().split("\n").filter((line) => /Scavenge|Mark-Compact/.test(line)).slice(-Number(args["show-gc"])).join("\n")}\n`);
    await Promise.all([...gateways.values()].flat().map((g) => g.stop()));
    if (profileDir) {
      mkdirSync(profileDir, { recursive: true });
      for (const [side, servers] of gateways) {
        servers.forEach((_, i) => {
          const name = servers[i]!.name;
          const dir = join(benchWorkDir(), `prof-${name}`);
          const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
          if (file) copyFileSync(join(dir, file), join(profileDir, `${name}.cpuprofile`));
        });
      }
      writeFileSync(join(profileDir, "windows.json"), JSON.stringify(windows, null, 2));
      process.stdout.write(`profiles and windows.json (the measured windows, µs on the profiles' clock) in ${profileDir}\n`);
    }
  } finally {
    await redis.stop();
  }
}

runBenchScript("replica-cpu", main);

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Real processes for the bench: the emulator, gateways and the naive gateway each run in their
 * own Node process (ephemeral ports), writing their output to a log file rather than a pipe, so
 * the bench process (which also runs autocannon) never spends CPU draining their logs.
 */

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const KILL_AFTER_MS = 5_000;

/** Variables a developer's shell may carry that would change what a bench process talks to. */
const INHERITED_VARIABLES_TO_DROP = [
  "PORT", "HOST", "NODE_ENV", "LOG_LEVEL", "SSO_OIDC_ENDPOINT", "UPSTREAM", "EMULATOR_PORT", "EMULATOR_HOST", "EMULATOR_CONFIG",
  "EMULATOR_REGION", "UPSTREAM_TIMEOUT_MS", "UPSTREAM_CONNECT_TIMEOUT_MS", "UPSTREAM_MAX_ATTEMPTS", "DEFAULT_CLIENT_ID",
  "ALLOWED_CLIENT_IDS", "REDIS_URL", "GATEWAY_SECRET", "INTROSPECTION", "AWS_REGION", "AWS_DEFAULT_REGION",
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "NODE_OPTIONS",
];

/** The emulator's documented default IAM credentials: what the gateway signs with in endpoint mode. */
export const EMULATOR_CREDENTIALS = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
} as const;
export const REGION = "us-east-1";

export interface BenchProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The first regex group of the ready pattern (a URL). */
  url: string;
  logFile: string;
  log(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  /** The program to run; default this Node binary (every bench process but the bench's own Redis). */
  command?: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** Matched against the log file; group 1 is the process's URL (or what locates it, e.g. a port). */
  ready: RegExp;
}

// Created on first use: importing this module (for REPO_ROOT, say) must not leave a folder behind.
let workDir: string | undefined;
const running = new Set<BenchProcess>();

/** Where bench temp files (logs, emulator configs, CPU profiles) go; removed by cleanupWorkDir(). */
export function benchWorkDir(): string {
  return (workDir ??= mkdtempSync(join(tmpdir(), "idc-bench-")));
}

export function writeWorkFile(name: string, content: string): string {
  const path = join(benchWorkDir(), name);
  writeFileSync(path, content);
  return path;
}

export function benchEnvironment(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_VARIABLES_TO_DROP) delete env[name];
  // No settings file: a developer's .env must not change what the bench measures.
  env.ENV_FILE = "";
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export async function spawnBenchProcess(options: SpawnOptions): Promise<BenchProcess> {
  const logFile = join(benchWorkDir(), `${options.name}-${Date.now()}.log`);
  const fd = openSync(logFile, "w");
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: REPO_ROOT,
    env: benchEnvironment(options.env),
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = () => readFileSync(logFile, "utf8");
  const url = await new Promise<string>((resolve, reject) => {
    const startedAt = Date.now();
    const poll = setInterval(() => {
      const match = log().match(options.ready);
      if (match?.[1]) { clearInterval(poll); resolve(match[1]); return; }
      if (child.exitCode !== null || Date.now() - startedAt > READY_TIMEOUT_MS) {
        clearInterval(poll);
        child.kill("SIGKILL");
        reject(new Error(`${options.name} did not become ready (exit ${child.exitCode}); its output:\n${log().slice(-4000)}`));
      }
    }, 50);
  });
  const processHandle: BenchProcess = {
    name: options.name,
    pid: child.pid!,
    child,
    url,
    logFile,
    log,
    async stop() {
      running.delete(processHandle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
      await exited;
      clearTimeout(killer);
    },
  };
  running.add(processHandle);
  return processHandle;
}

/** Stops every process still running (also on Ctrl-C), then removes the temp dir unless asked to keep it. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

export function cleanupWorkDir(): void {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
}

process.once("exit", () => {
  for (const p of running) p.child.kill("SIGKILL");
});

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (clock ticks,
 * 100 per second). Per request it is the cost that contention does not hide: on a busy machine
 * throughput drops, CPU per request barely moves.
 */
export function cpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Peak resident set size of a process in MB (VmHWM: the high-water mark since it started). */
export function peakRssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Runs a bench script's main: on failure prints `<name> failed: <stack>` and exits 1; always stops its processes and removes the work folder. */
export function runBenchScript(name: string, main: () => Promise<void>): void {
  main()
    .catch((error: unknown) => {
      process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(async () => {
      await stopAll();
      cleanupWorkDir();
    });
}

import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CONFIG_VARIABLES } from "../../src/config/index.js";
import { gatewayEntryArgs } from "./compiled-gateway.js";

/**
 * Spawns the real gateway (compiled, as `node dist/main.js` runs it: compiled-gateway.ts) the way a user
 * runs it, and keeps every byte it writes: tests scan that output for leaked secrets, so nothing is dropped.
 */

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
// A gateway under `node --import tsx` (it was, before compiled-gateway.ts) compiled its sources first: on a loaded 2-core machine running the whole suite, three starting at once
// beside a TLS Redis Cluster once wrote nothing for 20 s (and were ready in 2–3 s alone). A gateway that cannot start still fails, later.
const READY_TIMEOUT_MS = 45_000;
const KILL_AFTER_MS = 5_000;

/**
 * Gateway, emulator, AWS and Apollo variables a developer's shell may carry: stripped so each test
 * states its own upstream and never talks to real AWS, a stray Redis or Apollo's reporting by accident.
 * Every gateway setting comes from CONFIG_VARIABLES, so a newly added one is stripped too.
 */
const INHERITED_VARIABLES_TO_DROP = [
  ...CONFIG_VARIABLES.map((variable) => variable.name),
  "EMULATOR_PORT", "EMULATOR_HOST", "EMULATOR_REGION", "EMULATOR_CONFIG", "EMULATOR_ACCESS_KEY_ID", "EMULATOR_SECRET_ACCESS_KEY",
  "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
  "APOLLO_KEY", "APOLLO_GRAPH_REF", "APOLLO_GRAPH_ID", "APOLLO_GRAPH_VARIANT",
];

export interface GatewayReadyLog {
  msg: "gateway ready";
  url: string;
  mode?: string;
  emulatorUrl?: string;
  [key: string]: unknown;
}

export interface GatewayProcess {
  /** The GraphQL endpoint (`http://…:PORT/graphql`) from the ready log line. */
  url: string;
  /** The embedded emulator's base URL (embedded mode only). */
  emulatorUrl: string | undefined;
  readyLog: GatewayReadyLog;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout followed by stderr: everything the process has written so far. */
  output(): string;
  /** Every stdout line that parses as a JSON object (pino's log lines). */
  logLines(): Record<string, unknown>[];
  /** Resolves once the captured output matches, rejects with the output after timeoutMs. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, wait for exit (SIGKILL after 5 s); resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartGatewayOptions {
  env?: Record<string, string | undefined>;
}

export function gatewayEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_VARIABLES_TO_DROP) delete env[name];
  // ENV_FILE empty: a developer's own .env in the checkout never leaks into a test.
  Object.assign(env, { PORT: "0", EMULATOR_PORT: "0", NODE_ENV: "test", LOG_LEVEL: "info", ENV_FILE: "" });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Spawns the gateway with `env`; the raw process handle, before any readiness check. */
export function spawnGateway(options: StartGatewayOptions = {}): ChildProcess {
  return spawn(process.execPath, gatewayEntryArgs(), {
    cwd: REPO_ROOT,
    env: gatewayEnvironment(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function parseJsonLines(text: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) continue;
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) lines.push(parsed as Record<string, unknown>);
    } catch {
      // Not a log line (a banner line that happens to start with "{"); keep only JSON.
    }
  }
  return lines;
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<GatewayProcess> {
  const child = spawnGateway(options);
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => { stdout += chunk; notify(); });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; notify(); });

  // A test worker that dies without its afterAll must not leave a gateway holding ports behind.
  const killOnWorkerExit = () => child.kill("SIGKILL");
  process.once("exit", killOnWorkerExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnWorkerExit);
      resolve({ code, signal });
      notify();
    });
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((info) => { exitInfo = info; });

  const output = () => stdout + stderr;
  const describe = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  const waitForOutput = (pattern: RegExp, timeoutMs = 5_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output().match(pattern);
        if (match) { finish(); resolve(match); }
      };
      const timer = setTimeout(() => { finish(); reject(new Error(`output did not match ${pattern} within ${timeoutMs} ms\n${describe()}`)); }, timeoutMs);
      const finish = () => { clearTimeout(timer); listeners.delete(check); };
      listeners.add(check);
      check();
    });

  const stop = async (): Promise<number | null> => {
    if (exitInfo) return exitInfo.code;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
    const { code } = await exited;
    clearTimeout(killer);
    return code;
  };

  const readyLog = await new Promise<GatewayReadyLog>((resolve, reject) => {
    const check = () => {
      const ready = parseJsonLines(stdout).find((line) => line.msg === "gateway ready");
      if (ready && typeof ready.url === "string") { finish(); resolve(ready as GatewayReadyLog); return; }
      if (exitInfo || child.exitCode !== null) {
        finish();
        reject(new Error(`gateway exited (code ${child.exitCode}) before "gateway ready"\n${describe()}`));
      }
    };
    const timer = setTimeout(() => {
      finish();
      child.kill("SIGKILL");
      reject(new Error(`gateway did not log "gateway ready" within ${READY_TIMEOUT_MS} ms\n${describe()}`));
    }, READY_TIMEOUT_MS);
    const finish = () => { clearTimeout(timer); listeners.delete(check); };
    listeners.add(check);
    child.once("error", (error) => { finish(); reject(new Error(`could not spawn the gateway: ${error.message}\n${describe()}`)); });
    check();
  });

  return {
    url: readyLog.url,
    emulatorUrl: typeof readyLog.emulatorUrl === "string" ? readyLog.emulatorUrl : undefined,
    readyLog,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    output,
    logLines: () => parseJsonLines(stdout),
    waitForOutput,
    stop,
    exited,
  };
}

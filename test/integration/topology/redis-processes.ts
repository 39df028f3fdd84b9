/**
 * Debian's redis binaries as throwaway processes for topology tests: each runs in its own process
 * group (detached) on ephemeral ports with nothing on disk but a tmp dir, and `stopAll` kills every
 * group this file started, so an afterAll tears a topology down even when a test failed midway.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis, type RedisOptions } from "ioredis";
import { eventually, findFreePort } from "../store/redis-test-support.js";

export interface RedisNode {
  readonly port: number;
  /** SIGKILL the process group (an abrupt crash) and wait until it has exited. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

const started = new Set<ChildProcess>();

/** A fresh tmp dir for one topology's config and node files; removed by stopAll. */
const dirs: string[] = [];
export function topologyDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `idc-${label}-`));
  dirs.push(dir);
  return dir;
}

/** `redis-server <args>` in its own process group; resolves once `ping` answers on `port`. */
export async function startRedisProcess(port: number, args: string[], ping: RedisOptions = {}): Promise<RedisNode> {
  const child = spawn("redis-server", args, { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  started.add(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => started.delete(child));
  const node: RedisNode = {
    port,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      if (node.alive) killGroup(child);
      await exited;
    },
  };
  try {
    await eventually(`redis-server on port ${port} answers PING`, async () => {
      if (!node.alive) throw new Error(`redis-server on port ${port} exited: ${stderr.trim() || "(no output)"}`);
      return (await command(port, ["PING"], ping).catch(() => "")) === "PONG";
    }, 10_000);
  } catch (error) {
    await node.kill();
    throw error;
  }
  return node;
}

/** One command on a short-lived connection (the topology's own view, not the gateway's). */
export async function command(port: number, args: string[], options: RedisOptions = {}): Promise<string> {
  const redis = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, ...options });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    const [name, ...rest] = args as [string, ...string[]];
    return String(await redis.call(name, ...rest));
  } finally {
    redis.disconnect();
  }
}

/** A `redis-cli` run to completion (cluster creation); throws with its output when it fails. */
export function redisCli(args: string[]): string {
  const result = spawnSync("redis-cli", args, { encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

/** Kills every redis process this worker started (their whole groups) and removes the tmp dirs. */
export async function stopAll(): Promise<void> {
  const exits = [...started].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    killGroup(child);
  }));
  await Promise.all(exits);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// A worker that dies without running afterAll still takes its redis processes with it.
process.once("exit", () => {
  for (const child of started) killGroup(child);
});

/** Whether Debian's redis-server was built with TLS (it refuses the tls-* directives otherwise). */
export function redisSupportsTls(): boolean {
  const result = spawnSync("redis-server", ["--port", "0", "--tls-port", "0", "--save", ""], { encoding: "utf8", timeout: 5_000 });
  return !/Bad directive|wrong number of arguments/i.test(`${result.stdout}${result.stderr}`);
}

export function hasRedisBinaries(): boolean {
  return ["redis-server", "redis-cli"].every((binary) => spawnSync(binary, ["--version"], { encoding: "utf8" }).status === 0);
}

/** `count` different free ports (findFreePort may hand out one port twice in a row). */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await findFreePort());
  return [...ports];
}

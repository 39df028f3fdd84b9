import { createServer } from "node:net";
import { Redis } from "ioredis";
import { spawnBenchProcess, type BenchProcess } from "./processes.js";

/**
 * The bench's own Redis: a redis-server it starts on a free port, with no persistence (`--save ""
 * --appendonly no`: a snapshot fork would steal CPU from a measured round), so its INFO commandstats
 * count the gateways' commands and nobody else's (not the shared 6379 one other work uses).
 */
export interface BenchRedis {
  process: BenchProcess;
  url: string;
  /** CONFIG RESETSTAT: the command counters start again from zero. */
  resetStats(): Promise<void>;
  /** Resolves once no command has run for QUIET_MS (the gateways finished what the last run started). */
  waitQuiet(): Promise<void>;
  /** Calls per command since the last reset (INFO commandstats), less this client's own bookkeeping commands. */
  commandCalls(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const QUIET_MS = 200;

/** What resetStats/commandCalls send themselves: not the gateways' cost. */
const OWN_COMMANDS = new Set(["config|resetstat", "info", "ping"]);

export async function startBenchRedis(name: string): Promise<BenchRedis> {
  const port = await freePort();
  const process = await spawnBenchProcess({
    name,
    command: "redis-server",
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", ""],
    env: {},
    // Logged once the port is bound and the dataset (none) is loaded.
    ready: /Running mode=standalone, port=(\d+)[\s\S]*Ready to accept connections/,
  });
  const url = `redis://127.0.0.1:${process.url}`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  const commandCalls = async () => parseCommandStats(await admin.info("commandstats"), OWN_COMMANDS);
  const totalCalls = async () => Object.values(await commandCalls()).reduce((sum, n) => sum + n, 0);
  return {
    process,
    url,
    async resetStats() {
      await admin.config("RESETSTAT");
    },
    async waitQuiet() {
      for (let last = -1, now = await totalCalls(); now !== last; ) {
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
        [last, now] = [now, await totalCalls()];
      }
    },
    commandCalls,
    async stop() {
      admin.disconnect();
      await process.stop();
    },
  };
}

/** `cmdstat_get:calls=12,usec=…` lines → { get: 12 }; subcommands read `config|resetstat`. */
export function parseCommandStats(info: string, ignore: ReadonlySet<string> = new Set()): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (!ignore.has(match[1]!)) calls[match[1]!] = Number(match[2]);
  }
  return calls;
}

/** A port nothing listens on right now (the OS picks it); redis-server cannot take port 0 itself. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { SHARED_REDIS_URL, acceptsConnections } from "../../support/test-dependencies.js";

/** The shared Redis the test machines run (`.ci/run` starts it); suites needing it use `probeSharedRedis`. */
export { SHARED_REDIS_URL };

/** A prefix unique to this test file run, so parallel runs and other engineers' tests never collide. */
export function uniqueKeyPrefix(label: string): string {
  return `test:${label}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** A plain client for asserting on what the store wrote, and for cleaning it up. */
export function rawRedis(url = SHARED_REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: false });
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

/** A port nothing listens on right now: listen on 0, note the port, close. */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** SIGKILL (an abrupt crash, as in production) and wait until the process has exited. */
  stop(): Promise<void>;
  /** SIGSTOP: Redis holds its data but answers nothing (a hung server) until resume(). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

/** Spawns a throwaway `redis-server` (nothing on disk) on `port` and waits until it accepts connections. */
export async function startRedisServer(port: number): Promise<RedisServerProcess> {
  const { spawn } = await import("node:child_process");
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 5_000;
  while (!(await acceptsConnections("127.0.0.1", port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await sleep(20);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    pause: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
  };
}

/** Polls `condition` until it holds or `timeoutMs` passes (then throws `what`). */
export async function eventually(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

/** A StoreLogger that records every line, for asserting on what was logged. */
export function recordingLogger() {
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

export interface ClosingProxy {
  readonly url: string;
  /**
   * From now on swallows what clients send instead of forwarding it; once a command arrives, ends
   * that client's connection with a FIN and no error (every byte it sent was read, so the kernel
   * sends no reset), or with a reset when `how` is "reset". Resolves when it has done so.
   */
  closeOnNextCommand(how?: "clean" | "reset"): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of Redis that can drop a connection cleanly under a command in flight:
 * `CLIENT KILL` on a paused Redis sometimes closes with a reset (ECONNRESET reaches the client
 * first) and sometimes not, depending on what is still unread, so a test of the no-error case
 * needs the close in its own hands.
 */
export async function startClosingProxy(targetPort: number): Promise<ClosingProxy> {
  const sockets = new Set<Socket>();
  let onHeldCommand: ((client: Socket) => void) | undefined;
  const server = createServer((client) => {
    const upstream = connectedPair(client, targetPort, sockets);
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("data", (chunk: Buffer) => (onHeldCommand ? onHeldCommand(client) : upstream.write(chunk)));
  });
  const url = await listenOnFreePort(server);
  return {
    url,
    closeOnNextCommand: (how = "clean") =>
      new Promise<void>((resolve) => {
        onHeldCommand = (client) => {
          onHeldCommand = () => undefined;
          if (how === "reset") {
            client.resetAndDestroy();
            resolve();
          } else client.end(resolve);
        };
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A connection to Redis for `client`, each closing the other, both tracked in `sockets`. */
function connectedPair(client: Socket, targetPort: number, sockets: Set<Socket>): Socket {
  const upstream = connect(targetPort, "127.0.0.1");
  sockets.add(client).add(upstream);
  client.on("close", () => sockets.delete(client) && upstream.destroy());
  upstream.on("close", () => sockets.delete(upstream) && client.destroy());
  client.on("error", () => undefined);
  upstream.on("error", () => undefined);
  return upstream;
}

/** Listens on an ephemeral port of 127.0.0.1; the redis:// URL of it. */
async function listenOnFreePort(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `redis://127.0.0.1:${address.port}`;
}

export interface CuttableProxy {
  readonly url: string;
  /** Drops every connection through it and refuses new ones, as a network partition would, until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of Redis whose clients can be cut off from it (one replica partitioned while the others still reach Redis). */
export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connectedPair(client, targetPort, sockets);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const url = await listenOnFreePort(server);
  return {
    url,
    cut() {
      isCut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One "gateway replica" for the multi-process single-flight test, run as
 * `node --import tsx test/integration/store/single-flight-child.ts`. Env: REDIS_URL, KEY_PREFIX,
 * SECRET_HEX, FLIGHT_KEY, CALLS, LOCK_TTL_MS, MODE (serve | hang). Protocol on stdout, one JSON
 * object per line: {"ready":true}, then after "go" on stdin: {"started":true} when this process's
 * fn runs, and {"results":[…]} when every call has settled (never, in hang mode).
 */
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import { createResilientStore } from "../../../src/store/resilient-store.js";
import { createSingleFlight } from "../../../src/coordination/single-flight.js";

const env = process.env;
const keyPrefix = env.KEY_PREFIX!;
const store = createResilientStore({ primary: createRedisStore({ url: env.REDIS_URL!, keyPrefix }) });
const counter = new Redis(env.REDIS_URL!);
const flight = createSingleFlight({
  store,
  keyspace: createKeyspace({ secret: Buffer.from(env.SECRET_HEX!, "hex") }),
  lockTtlMs: Number(env.LOCK_TTL_MS),
  waitTimeoutMs: 10_000,
  pollIntervalMs: 25,
});
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function upstreamCall(): Promise<string> {
  await counter.incr(`${keyPrefix}upstream-calls`);
  say({ started: true });
  if (env.MODE === "hang") return new Promise<string>(() => {});
  await new Promise((resolve) => setTimeout(resolve, 200));
  return `token-from-${process.pid}`;
}

await counter.ping();
say({ ready: true });
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== "go") continue;
  const codec = { encode: (value: string) => Buffer.from(value), decode: (bytes: Buffer) => bytes.toString() };
  const results = await Promise.all(Array.from({ length: Number(env.CALLS) }, () => flight.run(env.FLIGHT_KEY!, upstreamCall, codec)));
  say({ results });
  break;
}
lines.close();
await store.close();
counter.disconnect();

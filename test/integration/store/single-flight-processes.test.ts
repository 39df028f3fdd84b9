import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, expect, it } from "vitest";
import type { SingleFlightResult } from "../../../src/coordination/single-flight.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, eventually, rawRedis, uniqueKeyPrefix } from "./redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;
const prefix = uniqueKeyPrefix("sf-processes");
const secretHex = randomBytes(32).toString("hex");
const childScript = fileURLToPath(new URL("./single-flight-child.ts", import.meta.url));
const projectRoot = fileURLToPath(new URL("../../../", import.meta.url));
const raw = rawRedis();
const children: ChildProcess[] = [];

interface Replica {
  child: ChildProcess;
  messages: Array<{ ready?: true; started?: true; results?: Array<SingleFlightResult<string>> }>;
  go(): void;
}

/** Spawns a replica process and waits until it is connected and ready for "go". */
async function startReplica(env: { flightKey: string; calls: number; mode: "serve" | "hang"; lockTtlMs: number; keyPrefix: string }): Promise<Replica> {
  const child = spawn(process.execPath, ["--import", "tsx", childScript], {
    cwd: projectRoot,
    env: {
      ...process.env,
      REDIS_URL: SHARED_REDIS_URL,
      KEY_PREFIX: env.keyPrefix,
      SECRET_HEX: secretHex,
      FLIGHT_KEY: env.flightKey,
      CALLS: String(env.calls),
      LOCK_TTL_MS: String(env.lockTtlMs),
      MODE: env.mode,
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(child);
  const replica: Replica = { child, messages: [], go: () => child.stdin!.write("go\n") };
  createInterface({ input: child.stdout! }).on("line", (line) => replica.messages.push(JSON.parse(line)));
  await eventually("the replica is ready", () => replica.messages.some((message) => message.ready), 15_000);
  return replica;
}

const resultsOf = (replica: Replica) => replica.messages.find((message) => message.results)?.results;

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

afterAll(async () => {
  if (redisReachable) await deleteKeysWithPrefix(raw, prefix);
  raw.disconnect();
});

describeNeeding(sharedRedis, "single-flight across real processes on one Redis", () => {
  it("makes 3 processes × 20 concurrent calls cost one upstream call, every caller getting the same result", async () => {
    const keyPrefix = `${prefix}storm:`;
    const replicas = await Promise.all([1, 2, 3].map(() => startReplica({ flightKey: "storm", calls: 20, mode: "serve", lockTtlMs: 5_000, keyPrefix })));
    for (const replica of replicas) replica.go();
    await eventually("every replica answered", () => replicas.every((replica) => resultsOf(replica)), 15_000);
    const results = replicas.flatMap((replica) => resultsOf(replica)!);
    expect(await raw.get(`${keyPrefix}upstream-calls`)).toBe("1");
    expect(results).toHaveLength(60);
    expect(new Set(results.map((result) => result.value)).size).toBe(1);
    expect(results.filter((result) => result.role === "leader")).toHaveLength(1);
  });

  it("lets another process take over when the lock holder is killed mid-flight, with exactly one more upstream call", async () => {
    const keyPrefix = `${prefix}killed:`;
    const doomed = await startReplica({ flightKey: "killed", calls: 1, mode: "hang", lockTtlMs: 500, keyPrefix });
    const survivors = await Promise.all([1, 2].map(() => startReplica({ flightKey: "killed", calls: 10, mode: "serve", lockTtlMs: 500, keyPrefix })));
    doomed.go();
    await eventually("the doomed leader is mid-flight", () => doomed.messages.some((message) => message.started));
    for (const survivor of survivors) survivor.go();
    doomed.child.kill("SIGKILL");
    await eventually("both survivors answered", () => survivors.every((survivor) => resultsOf(survivor)), 15_000);
    const results = survivors.flatMap((survivor) => resultsOf(survivor)!);
    expect(await raw.get(`${keyPrefix}upstream-calls`)).toBe("2");
    const survivorPids = survivors.map((survivor) => `token-from-${survivor.child.pid}`);
    expect(new Set(results.map((result) => result.value)).size).toBe(1);
    expect(survivorPids).toContain(results[0]!.value);
    expect(results.filter((result) => result.role === "leader")).toHaveLength(1);
  });
});

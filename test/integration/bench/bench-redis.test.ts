import { afterAll, beforeAll, expect, it } from "vitest";
import { Redis } from "ioredis";
import { cleanupWorkDir } from "../../../bench/support/processes.js";
import { startBenchRedis, type BenchRedis } from "../../../bench/support/redis.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";

/**
 * The bench's Redis command counts (rows f, g, g-first) come from its own redis-server's INFO
 * commandstats: what a client sends is counted, a Lua script's own calls too (the bench's design
 * count includes them), and the bench's own bookkeeping (RESETSTAT, INFO) is not.
 */
describeNeeding(probeRedisServerBinary(), "the bench's own Redis and its command counts", () => {
  let redis: BenchRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startBenchRedis("bench-redis-test");
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
    cleanupWorkDir();
  });

  it("counts the commands sent since the last reset, script-internal calls included, its own not", async () => {
    await client.set("before-reset", "1");
    await redis.waitQuiet();
    await redis.resetStats();
    await client.set("k", "v", "PX", 10_000, "NX");
    await client.get("k");
    await client.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, "k", "v");
    await client.publish("channel", "done");
    expect(await redis.commandCalls()).toEqual({ set: 1, get: 2, eval: 1, del: 1, publish: 1 });
  });
});

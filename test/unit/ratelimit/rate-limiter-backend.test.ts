import { randomUUID } from "node:crypto";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { afterEach, describe, expect, it } from "vitest";
import { sharedRateLimiter } from "../../../src/ratelimit/rate-limiter-backend.js";
import { createRedisClient, type RedisClient } from "../../../src/store/index.js";
import { describeNeeding, probeSharedRedis, SHARED_REDIS_URL } from "../../support/test-dependencies.js";
import { freePort } from "../../support/free-port.js";

/**
 * The rate limits' Redis limiter (src/ratelimit/rate-limiter-backend.ts) counts in Redis, and while its
 * connection is known down its insurance answers without sending Redis anything. Before, every count went to
 * ioredis' offline queue for the next connect attempt and waited up to the command timeout (500 ms), so every
 * request served during an outage took half a second longer.
 */
const clients: RedisClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function client(url: string): RedisClient {
  const made = createRedisClient(url, { commandTimeoutMs: 500, connectTimeoutMs: 2_000, reconnectMaxDelayMs: 2_000 });
  made.on("error", () => undefined);
  clients.push(made);
  return made;
}

/** Counts the commands `redis` is given (to send, or to queue until it connects). */
function countCommands(redis: RedisClient): { count: number } {
  const counter = { count: 0 };
  const send = redis.sendCommand.bind(redis) as (...args: unknown[]) => unknown;
  (redis as unknown as { sendCommand: (...args: unknown[]) => unknown }).sendCommand = (...args) => {
    counter.count += 1;
    return send(...args);
  };
  return counter;
}

const limiterOptions = (keyPrefix: string, points = 5) => ({ keyPrefix, points, duration: 60, insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: 60 }) });

describe("sharedRateLimiter while Redis is known down", () => {
  it("answers from its insurance without giving Redis a command", async () => {
    const redis = client(`redis://127.0.0.1:${await freePort()}`);
    await new Promise((resolve) => redis.once("reconnecting", resolve));
    expect(redis.status).toBe("reconnecting");
    const commands = countCommands(redis);
    const limiter = sharedRateLimiter(redis, limiterOptions(`rl-down-${randomUUID()}`));
    const answers = [await limiter.consume("caller"), await limiter.consume("caller")];
    expect(answers.map((answer) => answer.remainingPoints)).toEqual([4, 3]);
    expect(commands.count).toBe(0);
  });
});

describe("sharedRateLimiter while every Sentinel is unreachable", () => {
  // ioredis stays "connecting" while it goes round the Sentinels again and again (no "reconnecting" in between):
  // every count waited the 500 ms command timeout in its offline queue, where one Redis down answers at once.
  it("answers from its insurance without giving Redis a command, as with one Redis down", async () => {
    const redis = client(`redis+sentinel://127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}/m`);
    const unreachable = await new Promise<Error>((resolve) => redis.once("error", resolve));
    expect(unreachable.message).toMatch(/^All sentinels are unreachable/);
    expect(redis.status).toBe("connecting");
    const commands = countCommands(redis);
    const limiter = sharedRateLimiter(redis, limiterOptions(`rl-sentinels-down-${randomUUID()}`));
    const answers = [await limiter.consume("caller"), await limiter.consume("caller")];
    expect(answers.map((answer) => answer.remainingPoints)).toEqual([4, 3]);
    expect(commands.count).toBe(0);
  });
});

describeNeeding(await probeSharedRedis(), "sharedRateLimiter on a connection still being made", () => {
  it("counts in Redis: the first counts after a start wait for the connection instead of skipping it", async () => {
    const redis = client(SHARED_REDIS_URL);
    expect(redis.status).not.toBe("ready");
    const keyPrefix = `rl-connecting-${randomUUID()}`;
    const limiter = sharedRateLimiter(redis, limiterOptions(keyPrefix));
    await limiter.consume("caller");
    await limiter.consume("caller");
    expect(await redis.get(`${keyPrefix}:caller`)).toBe("2");
    await redis.del(`${keyPrefix}:caller`);
  });
});

import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { RateLimiterRes } from "rate-limiter-flexible";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger } from "../../../src/logging/logger.js";
import { memoryBackend, redisBackend, type LimiterBackend } from "../../../src/ratelimit/rate-limiter-backend.js";
import { eventually, sleep, startRedisServer, type RedisServerProcess } from "../../integration/store/redis-test-support.js";
import { freePort } from "../../support/free-port.js";
import { describeNeeding, probeRedisServerBinary, probeSharedRedis, SHARED_REDIS_URL } from "../../support/test-dependencies.js";

/**
 * The rate limits' Redis backend (src/ratelimit/rate-limiter-backend.ts) in this process: counts in Redis, a key
 * past its points refused from memory for its window, the insurance limiter's per-process counts while Redis is
 * down, one warning per outage and one line when Redis is back. Its own redis-server per test for the outage (the
 * shared one is never stopped), keys under a prefix of their own on the shared one.
 */
const backends: LimiterBackend[] = [];
const servers: RedisServerProcess[] = [];
const raws: Redis[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  for (const raw of raws.splice(0)) raw.disconnect();
});

function recording() {
  const lines: string[] = [];
  const logger = {
    warn: (fields: { err?: { message?: string } }, message: string) => void lines.push(`warn ${message} (${typeof fields.err?.message})`),
    info: (message: string) => void lines.push(`info ${message}`),
  } as unknown as Logger;
  return { lines, logger };
}

function backendAt(redisUrl: string, logger: Logger = recording().logger): LimiterBackend {
  const backend = redisBackend({ redisUrl, logger, connectTimeoutMs: 500 });
  backends.push(backend);
  return backend;
}

const outcome = (promise: Promise<RateLimiterRes>) => promise.then(
  (res) => `allowed ${res.remainingPoints}`,
  (error: unknown) => (error instanceof RateLimiterRes ? `refused ${error.remainingPoints}` : `error ${(error as Error).message}`),
);

describeNeeding(await probeSharedRedis(), "redisBackend on the shared Redis", () => {
  it("counts in Redis, and refuses a key past its points from memory until its window ends, without asking Redis again", async () => {
    const { lines, logger } = recording();
    const backend = backendAt(SHARED_REDIS_URL, logger);
    expect(backend.kind).toBe("redis");
    const keyPrefix = `safeguards-rl-${randomUUID()}`;
    const limiter = backend.limiter({ keyPrefix, points: 3, durationSeconds: 600 });
    const raw = new Redis(SHARED_REDIS_URL);
    raws.push(raw);
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await outcome(limiter.consume("caller")));
      expect(answers).toEqual(["allowed 2", "allowed 1", "allowed 0", "refused 0"]);
      expect(await raw.get(`${keyPrefix}:caller`)).toBe("4");
      // Redis forgets the count; this process still refuses the key for its window (Redis is not asked).
      await raw.del(`${keyPrefix}:caller`);
      expect(await outcome(limiter.consume("caller"))).toBe("refused 0");
      expect(await raw.get(`${keyPrefix}:caller`)).toBeNull();
      // Another key is counted in Redis as before.
      expect(await outcome(limiter.consume("other"))).toBe("allowed 2");
      expect(await raw.get(`${keyPrefix}:other`)).toBe("1");
      // Connected at the first try: nothing to say.
      expect(lines).toEqual([]);
    } finally {
      await raw.del(`${keyPrefix}:caller`, `${keyPrefix}:other`);
    }
  });

  it("closes its connection once, however often it is asked", async () => {
    const backend = backendAt(SHARED_REDIS_URL);
    const limiter = backend.limiter({ keyPrefix: `safeguards-rl-${randomUUID()}`, points: 1, durationSeconds: 1 });
    expect(await outcome(limiter.consume("caller"))).toBe("allowed 0");
    const first = backend.close();
    expect(backend.close()).toBe(first);
    await first;
  });
});

describeNeeding(probeRedisServerBinary(), "redisBackend through a Redis outage", () => {
  it("counts per process while Redis is down, says so once, and once more when Redis is back, counting there again, and again at the next outage", async () => {
    const port = await freePort();
    const { lines, logger } = recording();
    const backend = backendAt(`redis://127.0.0.1:${port}`, logger);
    const limiter = backend.limiter({ keyPrefix: `safeguards-rl-${randomUUID()}`, points: 2, durationSeconds: 600 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await outcome(limiter.consume("caller")));
    // The insurance limiter's own count: refused past the points, never an error.
    expect(answers).toEqual(["allowed 1", "allowed 0", "refused 0"]);
    await eventually("the outage warning", () => lines.length > 0);
    // Several reconnect attempts fail meanwhile (50, 100, 200, 400 ms apart, plus jitter): still one warning.
    await sleep(1_000);
    expect(lines).toEqual(["warn rate limits: Redis unavailable, counting per process until it is back (string)"]);

    const server = await startRedisServer(port);
    servers.push(server);
    await eventually("the recovery line", () => lines.length > 1, 8_000);
    expect(lines.slice(1)).toEqual(["info rate limits: Redis available again, counting across replicas"]);
    const keyPrefix = `safeguards-rl-${randomUUID()}`;
    const counted = backend.limiter({ keyPrefix, points: 2, durationSeconds: 600 });
    expect(await outcome(counted.consume("caller"))).toBe("allowed 1");
    const raw = new Redis(server.url);
    raws.push(raw);
    expect(await raw.get(`${keyPrefix}:caller`)).toBe("1");
    // The next outage is said again.
    raw.disconnect();
    await server.stop();
    await eventually("the second outage warning", () => lines.length > 2);
    expect(lines.slice(2)).toEqual(["warn rate limits: Redis unavailable, counting per process until it is back (string)"]);
  }, 20_000);

  it("answers from the insurance limiter when Redis holds a count past the command timeout (a hung server)", async () => {
    const server = await startRedisServer(await freePort());
    servers.push(server);
    const backend = backendAt(server.url);
    const limiter = backend.limiter({ keyPrefix: `safeguards-rl-${randomUUID()}`, points: 2, durationSeconds: 600 });
    expect(await outcome(limiter.consume("caller"))).toBe("allowed 1"); // counted in Redis
    server.pause();
    try {
      // Without a command timeout this count would wait for Redis as long as it hangs.
      expect(await outcome(limiter.consume("caller"))).toBe("allowed 1"); // the insurance's own first count
    } finally {
      server.resume();
    }
  }, 10_000);

  it("closes a connection that never reached Redis (its QUIT cannot be sent)", async () => {
    const backend = redisBackend({ redisUrl: `redis://127.0.0.1:${await freePort()}`, logger: recording().logger, connectTimeoutMs: 500 });
    const limiter = backend.limiter({ keyPrefix: `safeguards-rl-${randomUUID()}`, points: 1, durationSeconds: 60 });
    expect(await outcome(limiter.consume("caller"))).toBe("allowed 0");
    await expect(backend.close()).resolves.toBeUndefined();
  });
});

describe("memoryBackend", () => {
  it("is the memory kind and counts in this process", async () => {
    const backend = memoryBackend();
    expect(backend.kind).toBe("memory");
    const limiter = backend.limiter({ keyPrefix: "safeguards-memory", points: 1, durationSeconds: 60 });
    expect([await outcome(limiter.consume("caller")), await outcome(limiter.consume("caller"))]).toEqual(["allowed 0", "refused 0"]);
    await backend.close();
  });
});

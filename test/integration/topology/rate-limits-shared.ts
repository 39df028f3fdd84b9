import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";
import { redisBackend } from "../../../src/ratelimit/rate-limiter-backend.js";
import { createRedisClient } from "../../../src/store/index.js";
import { rejectionOf } from "../../support/emulator-harness.js";
import type { Topology } from "./replica-contract.js";

/**
 * Rate-limit counters on the topology, not per process: two backends (two replicas) spend one
 * budget. Per-process counting (the insurance limiter answering, or a client that never reached the
 * topology) would let the second replica's call through.
 */
export function itSharesRateLimits(topology: () => Topology): void {
  it("counts rate limits in the topology itself: a second replica is refused once the first spent the budget", async () => {
    const logger = createLogger({ level: "silent" });
    const keyPrefix = `topology-rl-${randomUUID()}`;
    const backends = [redisBackend({ redisUrl: topology().url, logger }), redisBackend({ redisUrl: topology().url, logger })];
    const reader = createRedisClient(topology().url, { commandTimeoutMs: 2_000, connectTimeoutMs: 2_000, reconnectMaxDelayMs: 500 });
    try {
      // A long window: the budget cannot refill between the calls, whatever the machine's speed.
      const [first, second] = backends.map((backend) => backend.limiter({ keyPrefix, points: 2, durationSeconds: 600 }));
      await first!.consume("caller");
      await first!.consume("caller");
      const refusal = await rejectionOf(second!.consume("caller"));
      expect(refusal).toMatchObject({ remainingPoints: 0, consumedPoints: 3 });
      expect(await reader.get(`${keyPrefix}:caller`)).toBe("3");
    } finally {
      reader.disconnect();
      await Promise.all(backends.map((backend) => backend.close()));
    }
  });
}

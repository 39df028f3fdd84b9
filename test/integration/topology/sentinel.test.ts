import { describe, it } from "vitest";
import { describeReplicaContract } from "./replica-contract.js";
import { itSharesRateLimits } from "./rate-limits-shared.js";
import { hasRedisBinaries } from "./redis-processes.js";
import { startRedisSentinelSet } from "./redis-sentinel.js";

/**
 * A primary, a replica and three Sentinels (quorum 2): the multi-replica contract holds through
 * REDIS_URL=redis+sentinel://…/m, and killing the primary under load loses no answer; the Sentinels
 * promote the replica and the gateways follow them back to shared state by themselves.
 */
if (hasRedisBinaries()) {
  const group = describeReplicaContract("a Sentinel-managed primary with a replica", { failover: true }, async () => {
    const set = await startRedisSentinelSet();
    return {
      url: set.url,
      async failover() {
        const primary = await set.primary();
        await primary.kill();
        await set.waitHealthy();
      },
    };
  });
  describe("rate limits through Sentinel", () => itSharesRateLimits(group.topology));
} else {
  describe("Redis Sentinel", () => it.skip("SKIPPED: redis-server and redis-cli are not installed (apt-get install redis-server)", () => {}));
}

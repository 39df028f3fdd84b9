import { describeReplicaContract } from "./replica-contract.js";
import { itSharesRateLimits } from "./rate-limits-shared.js";
import { startRedisCluster } from "./redis-cluster.js";
import { hasRedisBinaries } from "./redis-processes.js";
import { describe, it } from "vitest";

/**
 * A real Redis Cluster of 3 masters, each with one replica (6 redis-server processes built by
 * `redis-cli --cluster create`): the multi-replica contract holds on it, and killing the master
 * that serves the health-probe slot under load loses no answer; its replica takes over and the
 * gateways share state again by themselves.
 */
const installed = hasRedisBinaries();
if (installed) {
  const group = describeReplicaContract("a 3-master Redis Cluster with a replica per master", { failover: true }, async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    return {
      url: cluster.url,
      async failover() {
        // A third of the slots (and so of every key layout: locks, results, cache, counters) goes with it.
        const master = await cluster.masterOf(0);
        await master.kill();
        await cluster.waitHealthy();
      },
    };
  });
  describe("rate limits on the Cluster", () => itSharesRateLimits(group.topology));
} else {
  describe("Redis Cluster", () => it.skip("SKIPPED: redis-server and redis-cli are not installed (apt-get install redis-server)", () => {}));
}

import { afterAll, describe, expect, it } from "vitest";
import { keySlot } from "../../../src/store/cluster-probe.js";
import { createGatewayStore } from "../../../src/store/index.js";
import { eventually, recordingLogger, sleep } from "../store/redis-test-support.js";
import { startRedisCluster } from "./redis-cluster.js";
import { hasRedisBinaries, stopAll } from "./redis-processes.js";

/**
 * One master of a Cluster down, its replica not promoted yet (cluster-node-timeout: 15 s by default, 5 s here):
 * a third of the keys cannot be served. The store's health probe wrote one key, on one master: with another
 * master down it passed, the store switched back to Redis at every probe, and the first command for the dead
 * master's slots waited out the command timeout (a stall) before it fell back again: degraded and recovered by
 * turns for the whole failover. It now writes a key on every master (src/store/cluster-probe.ts).
 */
if (hasRedisBinaries()) {
  describe("a Cluster with one master down until its replica takes over", () => {
    afterAll(stopAll, 30_000);

    it("serves from process memory until every master answers again, then from the Cluster: one outage, not one per probe", async () => {
      const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5_000 });
      const { lines, logger } = recordingLogger();
      const store = createGatewayStore({ redisUrl: cluster.url, logger, keyPrefix: "" });
      try {
        // Not the master the one-key probe wrote to: the probe of that key alone passes all along.
        const probed = await cluster.masterOf(keySlot("idc:v1:health-probe"));
        const masters = await Promise.all([0, 8_000, 16_000].map((slot) => cluster.masterOf(slot)));
        const victim = masters.find((master) => master !== probed)!;

        // Requests over keys in every slot range, all through the outage.
        let running = true;
        let sent = 0;
        const load = (async () => {
          while (running) {
            await Promise.all(Array.from({ length: 10 }, () => store.get(`partial-outage-${(sent += 1)}`)));
            await sleep(20);
          }
        })();
        try {
          await eventually("requests before the kill", () => sent >= 50, 10_000);
          await victim.kill();
          await eventually("the store fell back", () => lines.some((line) => /^store degraded/.test(line.message)), 20_000);
          await cluster.waitHealthy(40_000);
          await eventually("the store serves from the Cluster again", async () => (await store.health()).status === "up", 20_000);
          // Requests go on a while with the Cluster whole: none falls back.
          const after = sent;
          await eventually("more requests after the recovery", () => sent >= after + 100, 20_000);
        } finally {
          running = false;
          await load;
        }
        const transitions = lines.filter((line) => /^store (degraded|recovered)/.test(line.message)).map((line) => line.message.split(":")[0]);
        expect(transitions).toEqual(["store degraded", "store recovered"]);
      } finally {
        await store.close();
      }
    }, 120_000);
  });
} else {
  describe("Redis Cluster", () => it.skip("SKIPPED: redis-server and redis-cli are not installed (apt-get install redis-server)", () => {}));
}

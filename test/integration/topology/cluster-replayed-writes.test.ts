import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { keySlot } from "../../../src/store/cluster-probe.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import { isStoreUnavailable } from "../../../src/store/store-errors.js";
import { eventually, sleep } from "../store/redis-test-support.js";
import { startRedisCluster } from "./redis-cluster.js";
import { command, hasRedisBinaries, stopAll } from "./redis-processes.js";

/**
 * A write whose connection closes after it ran, before its reply came (a node restarted or failing over, a
 * network blip, CLIENT KILL): on one server the caller is told the store failed (maxRetriesPerRequest 0); on a
 * Cluster ioredis sent it again 100 ms later, and a SET NX the caller had just won was answered "taken" (its own
 * value found). The single-flight leader then followed itself, waiting for its own lock to expire.
 * Staged exactly: the node is stopped (SIGSTOP), the SET NX and a CLIENT KILL of every client queue behind it, and
 * the node resumes: it runs the SET NX, then drops the connection before the reply is written.
 */
if (hasRedisBinaries()) {
  describe("a Cluster node's connection closing after a write ran, before its reply", () => {
    afterAll(stopAll, 30_000);

    it("never answers a lock its caller took as taken by another: the caller is told the store failed, as on one server", async () => {
      const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
      const store = createRedisStore({ url: cluster.url, keyPrefix: "replayed:", commandTimeoutMs: 3_000 });
      const outcomes: string[] = [];
      try {
        for (let round = 0; round < 5; round++) {
          const key = `lock-${round}`;
          const node = await cluster.masterOf(keySlot(`replayed:${key}`));
          await store.get(key); // the connection to that node is open
          const pid = Number(/process_id:(\d+)/.exec(await command(node.port, ["INFO", "server"]))![1]);
          const admin = new Redis({ host: "127.0.0.1", port: node.port, maxRetriesPerRequest: 0 });
          admin.on("error", () => undefined);
          await admin.ping();
          process.kill(pid, "SIGSTOP");
          let taking: Promise<string>;
          try {
            taking = store.setIfAbsent(key, Buffer.from("mine"), 60_000).then(
              (taken) => (taken ? "taken by this call" : "refused: held by another"),
              (error: unknown) => (isStoreUnavailable(error) ? "store unavailable" : String(error)),
            );
            await sleep(100);
            void admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").catch(() => undefined);
            await sleep(100);
          } finally {
            process.kill(pid, "SIGCONT");
          }
          const outcome = await taking;
          admin.disconnect();
          // Only this call ever wrote the key (read once the node's connection is made again).
          let held: Buffer | null | undefined;
          await eventually("the key read back", async () => (held = await store.get(key).catch(() => undefined)) !== undefined, 10_000);
          expect(held?.toString()).toBe("mine");
          outcomes.push(outcome);
        }
      } finally {
        await store.close();
      }
      expect(outcomes.filter((outcome) => outcome === "refused: held by another")).toEqual([]);
      expect(outcomes.filter((outcome) => outcome !== "taken by this call" && outcome !== "store unavailable")).toEqual([]);
    }, 90_000);
  });
} else {
  describe("Redis Cluster", () => it.skip("SKIPPED: redis-server and redis-cli are not installed (apt-get install redis-server)", () => {}));
}

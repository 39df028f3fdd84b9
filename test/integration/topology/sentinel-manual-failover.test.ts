import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClient } from "../../../src/store/redis-client.js";
import { createRedisStore } from "../../../src/store/redis-store.js";
import { isStoreUnavailable } from "../../../src/store/store-errors.js";
import { eventually, sleep } from "../store/redis-test-support.js";
import { command, hasRedisBinaries, stopAll } from "./redis-processes.js";
import { MASTER_NAME, startRedisSentinelSet, type RedisSentinelTopology } from "./redis-sentinel.js";

/**
 * A failover an operator asks for (SENTINEL FAILOVER: patching or resizing the primary) leaves the old
 * primary running, and the Sentinels demote it only some seconds after they promoted the replica (once it
 * has reported its role a while: ~8 s on Redis 7). A connection made before stayed on it meanwhile: what it
 * wrote there was gone the moment the old primary became the new one's replica (its data set replaced),
 * while every connection made since (another gateway, a restarted one) read and wrote the new primary.
 * The store's connections now follow the Sentinels' announcement (src/store/sentinel-switches.ts).
 */
if (hasRedisBinaries()) {
  describe("Sentinel failovers, followed by the store's connections", () => {
    let set: RedisSentinelTopology;
    beforeAll(async () => {
      set = await startRedisSentinelSet();
    }, 60_000);
    afterAll(stopAll, 30_000);

    it("sends what it writes once the Sentinels announced the new primary to that primary: nothing is lost when the old one (still running) is demoted", async () => {
      const store = createRedisStore({ url: set.url, keyPrefix: "manual-failover:" });
      try {
        await store.set("before", Buffer.from("1"), 600_000);
        const old = await set.primary();
        // What a client can know of the failover: the Sentinels' announcement (GET-MASTER-ADDR-BY-NAME names the
        // promoted replica a moment before it, while the leader still reconfigures the replicas).
        const announced = new Set<number>();
        const watchers = set.sentinelPorts.map((port) => {
          const watcher = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0 });
          watcher.on("error", () => undefined);
          watcher.on("message", (channel: string) => channel === "+switch-master" && announced.add(port));
          return watcher;
        });
        try {
          await Promise.all(watchers.map((watcher) => watcher.subscribe("+switch-master")));
          expect(await command(set.sentinelPorts[0]!, ["SENTINEL", "FAILOVER", MASTER_NAME])).toBe("OK");
          await eventually("every Sentinel announced the switch to the replica", () => announced.size === set.sentinelPorts.length, 30_000);
        } finally {
          watchers.forEach((watcher) => watcher.disconnect());
        }
        expect(await set.primary()).not.toBe(old);

        // Written one after another until the Sentinels have made the old primary a replica, and once after.
        const acknowledged: string[] = [];
        const write = async (key: string) => {
          try {
            await store.set(key, Buffer.from("1"), 600_000);
            acknowledged.push(key);
          } catch (error) {
            // Not acknowledged (the connection moving to the new primary): the caller knows it was not stored.
            if (!isStoreUnavailable(error)) throw error;
          }
        };
        let demoted = false;
        for (let i = 0; !demoted; i++) {
          await write(`after-${i}`);
          demoted = /^slave/.test(await command(old.port, ["ROLE"]).catch(() => ""));
          await sleep(50);
        }
        await eventually("a write after the demotion is acknowledged", async () => (await write("last"), acknowledged.includes("last")), 10_000);

        const primary = await set.primary();
        const lost: string[] = [];
        for (const key of acknowledged) if ((await command(primary.port, ["EXISTS", `manual-failover:${key}`])) !== "1") lost.push(key);
        expect(acknowledged.length).toBeGreaterThan(1);
        expect(lost).toEqual([]);
      } finally {
        await store.close();
      }
    }, 90_000);

    it("brings every connection back after a killed primary: none is ended for good by the announcement arriving while it asks the Sentinels", async () => {
      await set.waitHealthy();
      const primary = await set.primary();
      const replica = set.servers.find((server) => server !== primary)!;
      await eventually("the other node is the primary's replica, in sync", async () => /master_link_status:up/.test(await command(replica.port, ["INFO", "replication"]).catch(() => "")), 20_000);
      // Many connections, reconnecting often (a short backoff cap): one asking the Sentinels when they announce is likely.
      const clients = Array.from({ length: 40 }, () => createRedisClient(set.url, { commandTimeoutMs: 1_000, connectTimeoutMs: 2_000, reconnectMaxDelayMs: 200 }));
      clients.forEach((client) => client.on("error", () => undefined));
      try {
        await Promise.all(clients.map((client) => client.set("killed-primary", "1")));
        await (await set.primary()).kill();
        await set.waitHealthy();
        await eventually("every connection is ready or has ended", () => clients.every((client) => client.status === "ready" || client.status === "end"), 20_000);
        expect(clients.filter((client) => client.status === "end").length).toBe(0);
        const writes = await Promise.all(clients.map((client) => client.set("killed-primary", "2").then(() => "ok", () => "failed")));
        expect(writes.filter((outcome) => outcome !== "ok")).toEqual([]);
      } finally {
        clients.forEach((client) => client.disconnect());
      }
    }, 90_000);
  });
} else {
  describe("Redis Sentinel", () => it.skip("SKIPPED: redis-server is not installed (apt-get install redis-server)", () => {}));
}

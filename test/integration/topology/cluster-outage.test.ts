import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { startRedisCluster } from "./redis-cluster.js";
import { hasRedisBinaries, stopAll } from "./redis-processes.js";

/**
 * A whole Redis Cluster gone (every node down) under a gateway with no traffic. ioredis' Cluster
 * pub/sub connection reconnected to another node the moment its connection ended, with no delay:
 * ~3,000 new connections a second, a core at 100 % and RSS growing ~8 MB a second (a gateway left
 * behind by a test reached 2.2 GB). It now waits out the store's reconnect backoff
 * (src/store/redis-client.ts, paceSubscriberReselection).
 */

/** CPU seconds the process has used (user + system), from /proc (Linux: 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const installed = hasRedisBinaries();
let gateway: GatewayProcess | undefined;
afterAll(async () => {
  await gateway?.stop();
  await stopAll();
});

(installed ? describe : describe.skip)(`a Redis Cluster whose every node is down${installed ? "" : " (SKIPPED: redis-server and redis-cli are not installed: apt-get install redis-server)"}`, () => {
  it("costs an idle gateway little CPU while it waits for it, and the gateway keeps answering from process memory", async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    gateway = await startGateway({ env: { REDIS_URL: cluster.url, GATEWAY_SECRET: "cluster-outage-test-secret-0123456789abcdef" } });
    for (const node of cluster.nodes) await node.kill();
    // Let the first reconnects and the switch to process memory settle.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const pid = gateway.child.pid!;
    const before = cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const used = cpuSeconds(pid) - before;
    // Before: ~4 s of CPU in these 4 s (a connection attempt every ~0.3 ms).
    expect(used).toBeLessThan(1);
    const response = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
    expect(await response.json()).toEqual({ data: { __typename: "Query" } });
    // Three redis-servers, a cluster create and a gateway: ~10 s alone, past 30 s once on a loaded two-core host.
  }, 60_000);
});

import { describe, expect, it } from "vitest";
import { eventually } from "../store/redis-test-support.js";
import { jwtBearer } from "../scale/scale-support.js";
import { describeReplicaContract } from "./replica-contract.js";
import { hasRedisBinaries, redisSupportsTls } from "./redis-processes.js";
import { startRedisCluster, type RedisClusterTopology } from "./redis-cluster.js";
import { makeTlsFiles } from "./tls-files.js";

/**
 * The ElastiCache shape: a Cluster reachable only over TLS (no plaintext port, TLS on the cluster
 * bus too) through REDIS_URL=rediss+cluster://…, its certificate signed by a CA the gateways trust
 * through NODE_EXTRA_CA_CERTS. Three masters without replicas, so losing one loses its slots until
 * it is back: the gateways must say so, keep answering from process memory, and return to the
 * cluster by themselves (failover with replicas is cluster.test.ts's job).
 */
const installed = hasRedisBinaries();
const tls = installed && redisSupportsTls();
if (tls) {
  let cluster: RedisClusterTopology;
  const group = describeReplicaContract("a 3-master Redis Cluster over TLS only (rediss+cluster://)", { failover: false }, async () => {
    const files = makeTlsFiles();
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0, tls: files });
    return {
      url: cluster.url,
      env: { NODE_EXTRA_CA_CERTS: files.caFile },
      failover: () => Promise.reject(new Error("a Cluster without replicas has no failover")),
    };
  });

  describe("a Cluster master lost with no replica to take over", () => {
    it("answers every request from process memory and says degraded on /readyz; once the master is back the replicas share state again by themselves", async () => {
      const replicas = group.replicas();
      const lost = await cluster.masterOf(0);
      await lost.kill();
      // Once the survivors mark it failed, the whole cluster refuses commands (CLUSTERDOWN).
      await eventually("the surviving masters report cluster_state:fail", () => cluster.isDown(), 20_000);
      const results = await Promise.all(replicas.flatMap((replica) => [0, 1].map(async () => jwtBearer(replica, await group.mintAssertion()))));
      expect(results.map((result) => [result.status, result.body.errors ?? []])).toEqual(results.map(() => [200, []]));
      const readiness = await Promise.all(replicas.map(async (replica) => {
        const response = await fetch(replica.url.replace(/\/graphql$/, "/readyz"));
        const body = (await response.json()) as { status: string; checks: { store: { detail: string } } };
        return [response.status, body.status, body.checks.store.detail.startsWith("degraded: redis unreachable")];
      }));
      expect(readiness).toEqual(replicas.map(() => [200, "degraded", true]));

      await cluster.restart(lost);
      await cluster.waitHealthy();
      await eventually("every replica says ready (shared store) on /readyz", async () => (await Promise.all(replicas.map(group.isShared))).every(Boolean), 20_000);
      expect(await group.exchangeStorm()).toEqual({ upstreamCalls: 1, distinctAnswers: 1, errors: [] });
    }, 60_000);
  });
} else {
  const reason = installed ? "Debian's redis-server was built without TLS (it refuses --tls-port)" : "redis-server and redis-cli are not installed (apt-get install redis-server)";
  describe("Redis Cluster over TLS", () => it.skip(`SKIPPED: ${reason}`, () => {}));
}

import { describe, it } from "vitest";
import { describeReplicaContract } from "./replica-contract.js";
import { hasRedisBinaries, redisSupportsTls } from "./redis-processes.js";
import { startRedisCluster } from "./redis-cluster.js";
import { makeTlsFiles } from "./tls-files.js";

/**
 * The ElastiCache shape: a Cluster reachable only over TLS (no plaintext port, TLS on the cluster
 * bus too) through REDIS_URL=rediss+cluster://…, its certificate signed by a CA the gateways trust
 * through NODE_EXTRA_CA_CERTS. Three masters without replicas: failover is cluster.test.ts's job.
 */
const installed = hasRedisBinaries();
const tls = installed && redisSupportsTls();
if (tls) {
  describeReplicaContract("a 3-master Redis Cluster over TLS only (rediss+cluster://)", { failover: false }, async () => {
    const files = makeTlsFiles();
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0, tls: files });
    return {
      url: cluster.url,
      env: { NODE_EXTRA_CA_CERTS: files.caFile },
      failover: () => Promise.reject(new Error("a Cluster without replicas has no failover")),
    };
  });
} else {
  const reason = installed ? "Debian's redis-server was built without TLS (it refuses --tls-port)" : "redis-server and redis-cli are not installed (apt-get install redis-server)";
  describe("Redis Cluster over TLS", () => it.skip(`SKIPPED: ${reason}`, () => {}));
}

/**
 * A primary, one replica and three Sentinels on ephemeral ports. Debian ships `redis-sentinel` as a
 * separate package (a link to redis-server); `redis-server <conf> --sentinel` is the same program,
 * so only redis-server is needed. Down-after and failover timeouts are short, so a killed primary is
 * replaced in a second or two.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "../store/redis-test-support.js";
import { command, distinctFreePorts, startRedisProcess, topologyDir, type RedisNode } from "./redis-processes.js";

export const MASTER_NAME = "m";

export interface RedisSentinelTopology {
  /** REDIS_URL for the gateways: every Sentinel, the master's name. */
  readonly url: string;
  /** The data nodes, primary first at start. */
  readonly servers: RedisNode[];
  /** The Sentinels' ports. */
  readonly sentinelPorts: number[];
  /** The node the Sentinels currently name as primary. */
  primary(): Promise<RedisNode>;
  /** Polls until every Sentinel names one live primary and knows the other Sentinels. */
  waitHealthy(timeoutMs?: number): Promise<void>;
}

export async function startRedisSentinelSet(): Promise<RedisSentinelTopology> {
  const dir = topologyDir("sentinel");
  const [primaryPort, replicaPort, ...sentinelPorts] = await distinctFreePorts(5);
  const dataArgs = (port: number) => ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  const primary = await startRedisProcess(primaryPort!, dataArgs(primaryPort!));
  const replica = await startRedisProcess(replicaPort!, [...dataArgs(replicaPort!), "--replicaof", "127.0.0.1", String(primaryPort)]);
  await eventually("the replica is in sync with the primary", async () => /master_link_status:up/.test(await command(replicaPort!, ["INFO", "replication"])), 10_000);
  const sentinels = await Promise.all(sentinelPorts.map((port) => {
    const conf = join(dir, `sentinel-${port}.conf`);
    // Sentinel rewrites its config file (it must be writable); one file per Sentinel.
    writeFileSync(conf, [
      `port ${port}`, "bind 127.0.0.1", `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      "",
    ].join("\n"));
    return startRedisProcess(port, [conf, "--sentinel"]);
  }));
  const servers = [primary, replica];

  const topology: RedisSentinelTopology = {
    url: `redis+sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(",")}/${MASTER_NAME}`,
    servers,
    sentinelPorts,
    async primary() {
      const named = await command(sentinelPorts[0]!, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME]);
      const port = Number(named.split(",")[1]);
      const node = servers.find((server) => server.port === port);
      if (!node) throw new Error(`the Sentinels name an unknown primary: ${named}`);
      return node;
    },
    async waitHealthy(timeoutMs = 20_000) {
      await eventually("every Sentinel names the same live primary, which answers as master, and knows the two other Sentinels", async () => {
        const named = await Promise.all(sentinelPorts.map((port) => command(port, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME]).catch(() => "")));
        if (new Set(named).size !== 1 || named[0] === "") return false;
        const node = servers.find((server) => server.port === Number(named[0]!.split(",")[1]));
        if (!node?.alive || !/role:master/.test(await command(node.port, ["INFO", "replication"]).catch(() => ""))) return false;
        const peers = await Promise.all(sentinelPorts.map((port) => command(port, ["SENTINEL", "SENTINELS", MASTER_NAME]).then((reply) => reply.split(",").filter((field) => field === "name").length).catch(() => 0)));
        return peers.every((count) => count === 2);
      }, timeoutMs);
    },
  };
  await topology.waitHealthy();
  // A Sentinel can promote only a replica it has discovered (from the primary's INFO).
  await eventually("every Sentinel knows the replica", async () => {
    const known = await Promise.all(sentinelPorts.map((port) => command(port, ["SENTINEL", "REPLICAS", MASTER_NAME]).catch(() => "")));
    return known.every((reply) => reply.split(",").includes(String(replicaPort)));
  }, 15_000);
  return topology;
}

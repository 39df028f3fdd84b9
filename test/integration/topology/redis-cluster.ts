/**
 * A real Redis Cluster on ephemeral ports: `redis-server --cluster-enabled yes` per node, then
 * `redis-cli --cluster create`. With one replica per master a killed master is replaced by its
 * replica (cluster-node-timeout is short so that takes about a second, not fifteen).
 */
import { join } from "node:path";
import type { RedisOptions } from "ioredis";
import { eventually } from "../store/redis-test-support.js";
import { command, distinctFreePorts, redisCli, startRedisProcess, topologyDir, type RedisNode } from "./redis-processes.js";
import type { TlsFiles } from "./tls-files.js";

export interface RedisClusterTopology {
  /** REDIS_URL for the gateways: every node as a seed. */
  readonly url: string;
  readonly nodes: RedisNode[];
  /** The node currently serving `slot` as master (asked of a live node). */
  masterOf(slot: number): Promise<RedisNode>;
  /** Starts a killed node again on its port with its nodes.conf: it rejoins with its slots (and no data). */
  restart(node: RedisNode): Promise<void>;
  /** Whether every live node reports cluster_state:fail (slots without a master: commands refused). */
  isDown(): Promise<boolean>;
  /** Polls until every live node reports cluster_state:ok and every slot has a live master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
}

const NODE_TIMEOUT_MS = 1_000;

export async function startRedisCluster(options: { masters: number; replicasPerMaster: number; tls?: TlsFiles; nodeTimeoutMs?: number }): Promise<RedisClusterTopology> {
  const dir = topologyDir("cluster");
  const count = options.masters * (1 + options.replicasPerMaster);
  const ports = await distinctFreePorts(count * 2);
  const tls = options.tls;
  const client: RedisOptions = tls ? { tls: { ca: tls.ca } } : {};
  const argsByPort = new Map<number, string[]>();
  const nodes = await Promise.all(Array.from({ length: count }, (_, i) => {
    const port = ports[i]!;
    const listen = tls
      ? ["--port", "0", "--tls-port", String(port), "--tls-cluster", "yes", "--tls-replication", "yes", ...tls.serverArgs]
      : ["--port", String(port)];
    const args = [
      ...listen, "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-port", String(ports[count + i]!),
      "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", String(options.nodeTimeoutMs ?? NODE_TIMEOUT_MS),
      "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir,
    ];
    argsByPort.set(port, args);
    return startRedisProcess(port, args, client);
  }));
  redisCli([
    ...(tls ? ["--tls", "--cacert", tls.caFile] : []),
    "--cluster", "create", ...nodes.map((node) => `127.0.0.1:${node.port}`),
    "--cluster-replicas", String(options.replicasPerMaster), "--cluster-yes",
  ]);

  const live = () => nodes.filter((node) => node.alive);
  const topology: RedisClusterTopology = {
    url: `${tls ? "rediss" : "redis"}+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(",")}`,
    nodes,
    async masterOf(slot) {
      const slots = JSON.parse(JSON.stringify(await clusterSlots(live()[0]!.port, client))) as Array<[number, number, [string, number]]>;
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      const node = nodes.find((candidate) => candidate.port === range?.[2][1]);
      if (!node) throw new Error(`no master serves slot ${slot}`);
      return node;
    },
    async restart(node) {
      if (node.alive) throw new Error(`node ${node.port} is still running`);
      nodes[nodes.indexOf(node)] = await startRedisProcess(node.port, argsByPort.get(node.port)!, client);
    },
    async isDown() {
      const states = await Promise.all(live().map((node) => command(node.port, ["CLUSTER", "INFO"], client).catch(() => "")));
      return states.every((info) => /cluster_state:fail/.test(info));
    },
    async waitHealthy(timeoutMs = 20_000) {
      await eventually("every live cluster node says cluster_state:ok, with a replica in sync per master", async () => {
        for (const node of live()) {
          const info = await command(node.port, ["CLUSTER", "INFO"], client).catch(() => "");
          if (!/cluster_state:ok/.test(info)) return false;
        }
        const replicas = await Promise.all(live().map((node) => command(node.port, ["INFO", "replication"], client).catch(() => "")));
        const masters = replicas.filter((info) => /role:master/.test(info));
        // A master with no live replica is fine once it is the only copy left (after a failover).
        return masters.length === options.masters && replicas.filter((info) => /role:slave/.test(info)).every((info) => /master_link_status:up/.test(info));
      }, timeoutMs);
    },
  };
  await topology.waitHealthy();
  return topology;
}

async function clusterSlots(port: number, options: RedisOptions): Promise<unknown> {
  const { Redis } = await import("ioredis");
  const redis = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0, retryStrategy: () => null, ...options });
  redis.on("error", () => undefined);
  try {
    return await redis.cluster("SLOTS");
  } finally {
    redis.disconnect();
  }
}

import { Redis, type RedisOptions } from "ioredis";
import type { RedisTarget } from "./redis-url.js";

type SentinelTarget = Extract<RedisTarget, { mode: "sentinel" }>;

/** What the Sentinels publish once they name a new primary: `<master> <old ip> <old port> <new ip> <new port>`. */
const SWITCH_CHANNEL = "+switch-master";

interface Address {
  host: string;
  port: number;
}

interface Follower {
  clients: Set<Redis>;
  /** Per client: the primary the last announcement named, until the client was checked against it once it was ready. */
  expected: Map<Redis, Address>;
  watchers: Redis[];
}

/** One set of Sentinel watchers per topology (URL) in the process, shared by every connection to it. */
const followers = new Map<string, Follower>();

/**
 * Moves a Sentinel-managed connection to the new primary the moment the Sentinels announce a failover.
 *
 * A failover an operator asks for (SENTINEL FAILOVER: patching or resizing the primary) leaves the old primary
 * running, a primary still, until the Sentinels demote it some seconds later (~8 s on Redis 7, once it has
 * reported its role a while). A connection made before stayed on it meanwhile: every write of those seconds
 * (sessions, revocations, grace successors) was lost when the demotion replaced its data set, while connections
 * made since (another gateway, a restarted one) used the new primary. Each announcement is acted on once: a ready
 * connection to another address is dropped and made again (ioredis then asks the Sentinels); one being made is
 * checked when it is ready, since it may have asked before the switch.
 *
 * Not ioredis' own `failoverDetector`: it drops the connection even while ioredis is asking the Sentinels for the
 * primary, which ends the client for good (status "end", no reconnect): 1 to 6 of 40 connections in runs after a
 * killed primary (test/integration/topology/sentinel-manual-failover.test.ts). Only the URL's Sentinels are watched.
 */
export function followSentinelSwitches(client: Redis, target: SentinelTarget, retryStrategy: (times: number) => number): void {
  const id = JSON.stringify([target.sentinels, target.masterName, target.username, target.password, target.tls]);
  let follower = followers.get(id);
  if (follower === undefined) {
    follower = { clients: new Set(), expected: new Map(), watchers: [] };
    follower.watchers = watchSentinels(target, retryStrategy, announced(follower, target.masterName));
    followers.set(id, follower);
  }
  const own = follower;
  own.clients.add(client);
  client.on("ready", () => checkAgainstAnnouncement(own, client));
  client.once("end", () => {
    own.clients.delete(client);
    own.expected.delete(client);
    if (own.clients.size > 0) return;
    own.watchers.forEach((watcher) => watcher.disconnect());
    followers.delete(id);
  });
}

function announced(follower: Follower, masterName: string): (message: string) => void {
  let last = "";
  return (message) => {
    // Every Sentinel announces the same switch: acted on once.
    if (message === last) return;
    const [name, , , host, port] = message.split(" ");
    if (name !== masterName || host === undefined || port === undefined) return;
    last = message;
    for (const client of follower.clients) {
      follower.expected.set(client, { host, port: Number(port) });
      if (client.status === "ready") checkAgainstAnnouncement(follower, client);
    }
  };
}

function checkAgainstAnnouncement(follower: Follower, client: Redis): void {
  const expected = follower.expected.get(client);
  if (expected === undefined) return;
  follower.expected.delete(client);
  const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  // Reconnecting (not ending): ioredis asks the Sentinels again, who now name the new primary.
  if (stream?.remoteAddress !== expected.host || stream.remotePort !== expected.port) client.disconnect(true);
}

function watchSentinels(target: SentinelTarget, retryStrategy: (times: number) => number, onSwitch: (message: string) => void): Redis[] {
  return target.sentinels.map(({ host, port }) => {
    const options: RedisOptions = {
      host,
      port,
      retryStrategy,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    };
    const watcher = new Redis(options);
    // A Sentinel down is one of several: the others announce the switch too.
    watcher.on("error", () => undefined);
    watcher.on("message", (channel: string, message: string) => {
      if (channel === SWITCH_CHANNEL) onSwitch(message);
    });
    watcher.subscribe(SWITCH_CHANNEL).catch(() => undefined);
    return watcher;
  });
}

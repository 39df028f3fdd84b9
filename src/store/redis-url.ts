/**
 * REDIS_URL → how ioredis should connect. ioredis parses `redis://` and `rediss://` itself
 * (standalone); it has no URL form for Sentinel or Cluster, so those two use a multi-host
 * form, mapped onto ioredis' own `sentinels`/`name` options and `Cluster` class:
 *
 *   redis://[user:pass@]host:port[/db]                          standalone (rediss:// = TLS)
 *   redis+sentinel://[user:pass@]h1:26379,h2:26379/<master>[/db]  Sentinel (rediss+sentinel:// = TLS)
 *   redis+cluster://[user:pass@]h1:6379,h2:6379                    Cluster   (rediss+cluster:// = TLS)
 */
export interface RedisHost {
  host: string;
  port: number;
}

interface RedisAuth {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  | { mode: "standalone"; url: string }
  | ({ mode: "sentinel"; sentinels: RedisHost[]; masterName: string; db?: number } & RedisAuth)
  | ({ mode: "cluster"; nodes: RedisHost[] } & RedisAuth);

/** Every form REDIS_URL takes, phrased to follow "REDIS_URL must be …" (config errors, README, --help). */
export const REDIS_URL_FORMS =
  "redis://[user:pass@]host:port[/db], redis+sentinel://[user:pass@]host:port,…/<master>[/db] or redis+cluster://[user:pass@]host:port,… (rediss://, rediss+sentinel://, rediss+cluster:// for TLS)";

export function parseRedisUrl(url: string): RedisTarget {
  const match = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(.*)$/i.exec(url.trim());
  if (!match) throw new TypeError(`REDIS_URL must be ${REDIS_URL_FORMS} (got ${describeRedisUrl(url)})`);
  const [, scheme, topology, rest] = match as unknown as [string, string, string | undefined, string];
  if (topology === undefined) {
    // ioredis reads the standalone form itself, and quietly connects to localhost when it cannot: refuse here instead.
    if (!URL.canParse(url.trim()) || new URL(url.trim()).hostname === "") {
      throw new TypeError(`REDIS_URL must be ${REDIS_URL_FORMS} (got ${describeRedisUrl(url)})`);
    }
    return { mode: "standalone", url: url.trim() };
  }

  const slash = rest.indexOf("/");
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? [] : rest.slice(slash + 1).split("/").filter(Boolean);
  const at = authority.lastIndexOf("@");
  const auth: RedisAuth = { tls: scheme.toLowerCase() === "rediss", ...parseUserInfo(at === -1 ? "" : authority.slice(0, at)) };
  // Stryker disable next-line ConditionalExpression: equivalent, without an "@" (at === -1) slice(at + 1) is the whole authority too
  const hosts = (at === -1 ? authority : authority.slice(at + 1)).split(",").map((item) => parseHost(item, url));

  if (topology.toLowerCase() === "cluster") {
    if (path.length > 0) throw new TypeError(`REDIS_URL: a cluster URL takes no path (Cluster has only db 0) (got ${describeRedisUrl(url)})`);
    return { mode: "cluster", nodes: hosts, ...auth };
  }
  const [masterName, db] = path;
  if (masterName === undefined) throw new TypeError(`REDIS_URL: a sentinel URL must name the master: redis+sentinel://host:port/<master> (got ${describeRedisUrl(url)})`);
  const target: RedisTarget = { mode: "sentinel", sentinels: hosts, masterName: decodeURIComponent(masterName), ...auth };
  if (db !== undefined) {
    if (!/^\d+$/.test(db)) throw new TypeError(`REDIS_URL: the sentinel db must be an integer (got ${describeRedisUrl(url)})`);
    target.db = Number(db);
  }
  return target;
}

function parseUserInfo(userInfo: string): { username?: string; password?: string } {
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, empty user-info parses to {} on the general path too
  if (userInfo === "") return {};
  const colon = userInfo.indexOf(":");
  const username = decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(0, colon));
  const password = colon === -1 ? undefined : decodeURIComponent(userInfo.slice(colon + 1));
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function parseHost(item: string, url: string): RedisHost {
  const match = /^(\[[^\]]+\]|[^:\[\]]+)(?::(\d+))?$/.exec(item);
  const port = match?.[2] === undefined ? 6379 : Number(match[2]);
  if (!match || port < 1 || port > 65535) {
    throw new TypeError(`REDIS_URL: each host must be host[:port] with port 1-65535 (got ${describeRedisUrl(url)})`);
  }
  // Stryker disable next-line Regex: equivalent, the host pattern above allows brackets only as the first and last character
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}

/** The URL with any password replaced, safe for logs, health details and error messages. */
export function describeRedisUrl(url: string): string {
  // The whole user-info goes, up to the last "@": some write `redis://<password>@host` with no user
  // name, and a password may hold an unescaped "/" or "@"; a value without a scheme is masked too.
  // The s flag: a line break inside the user-info (a mangled secret) must not end the match and leave it shown.
  return url.replace(/^([^/@]*\/\/)?.*@/s, "$1***@");
}

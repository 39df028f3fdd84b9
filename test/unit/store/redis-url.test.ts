import { describe, expect, it } from "vitest";
import { describeRedisUrl, parseRedisUrl } from "../../../src/store/redis-url.js";

describe("parseRedisUrl", () => {
  it("hands redis:// and rediss:// URLs to ioredis unchanged (standalone)", () => {
    expect(parseRedisUrl("redis://:pw@cache:6380/2")).toEqual({ mode: "standalone", url: "redis://:pw@cache:6380/2" });
    expect(parseRedisUrl("rediss://cache")).toEqual({ mode: "standalone", url: "rediss://cache" });
  });

  it("reads a sentinel URL: the sentinels, the master name, credentials, db and TLS", () => {
    expect(parseRedisUrl("rediss+sentinel://app:s%40cret@s1:26379,s2,[::1]:26380/mymaster/3")).toEqual({
      mode: "sentinel",
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 6379 },
        { host: "::1", port: 26380 },
      ],
      masterName: "mymaster",
      db: 3,
      username: "app",
      password: "s@cret",
      tls: true,
    });
  });

  it("reads a cluster URL: the seed nodes and a password", () => {
    expect(parseRedisUrl("redis+cluster://:pw@n1:7000,n2:7001")).toEqual({
      mode: "cluster",
      nodes: [
        { host: "n1", port: 7000 },
        { host: "n2", port: 7001 },
      ],
      password: "pw",
      tls: false,
    });
  });

  it("refuses other schemes, a sentinel URL without master, and bad ports, without echoing the password", () => {
    expect(() => parseRedisUrl("http://:hunter2@cache")).toThrow(
      "REDIS_URL must be redis://[user:pass@]host:port[/db], redis+sentinel://[user:pass@]host:port,…/<master>[/db] or redis+cluster://[user:pass@]host:port,… (rediss://, rediss+sentinel://, rediss+cluster:// for TLS) (got http://***@cache)",
    );
    expect(() => parseRedisUrl("redis+sentinel://s1:26379")).toThrow(
      "REDIS_URL: a sentinel URL must name the master: redis+sentinel://host:port/<master> (got redis+sentinel://s1:26379)",
    );
    expect(() => parseRedisUrl("redis+cluster://:hunter2@n1:99999")).toThrow(
      "REDIS_URL: each host must be host[:port] with port 1-65535 (got redis+cluster://***@n1:99999)",
    );
    // ioredis would quietly connect to localhost for a standalone URL without a host.
    expect(() => parseRedisUrl("redis://:hunter2@/0")).toThrow("REDIS_URL must be redis://[user:pass@]host:port[/db], redis+sentinel://");
    expect(() => parseRedisUrl("redis://:hunter2@/0")).not.toThrow("hunter2");
  });
});

describe("describeRedisUrl", () => {
  it("hides the whole user-info part", () => {
    expect(describeRedisUrl("redis://user:hunter2@cache:6379/0")).toBe("redis://***@cache:6379/0");
    expect(describeRedisUrl("redis://hunter2@cache")).toBe("redis://***@cache");
    expect(describeRedisUrl("redis://cache:6379")).toBe("redis://cache:6379");
    // A password with an unescaped "/" or "@", or a value without a scheme, is still hidden whole.
    expect(describeRedisUrl("redis://app:hun/ter@2@cache:6379/0")).toBe("redis://***@cache:6379/0");
    expect(describeRedisUrl("rediss+cluster://app:hunter2@n1,n2")).toBe("rediss+cluster://***@n1,n2");
    expect(describeRedisUrl("app:hunter2@cache")).toBe("***@cache");
  });
});

import { describe, expect, it } from "vitest";
import { REDIS_URL_FORMS, describeRedisUrl, parseRedisUrl } from "../../../src/store/redis-url.js";

/** REDIS_URL forms the existing parse tests leave open: edges of each part, each refused with its own message. */
const BAD_HOST = "REDIS_URL: each host must be host[:port] with port 1-65535";

describe("REDIS_URL edges", () => {
  it("ignores whitespace around the URL for every form", () => {
    expect(parseRedisUrl("  redis://cache:6380 ")).toEqual({ mode: "standalone", url: "redis://cache:6380" });
    expect(parseRedisUrl(" redis+cluster://n1:7000 ")).toEqual({ mode: "cluster", nodes: [{ host: "n1", port: 7000 }], tls: false });
  });

  it("refuses a scheme with anything before it, and a URL broken over two lines", () => {
    expect(() => parseRedisUrl("xredis://cache")).toThrow("REDIS_URL must be redis://");
    expect(() => parseRedisUrl("redis+cluster://n1:7000\nn2:7001")).toThrow("REDIS_URL must be redis://");
  });

  it("reads a sentinel URL without credentials or db, and tolerates a trailing slash", () => {
    expect(parseRedisUrl("redis+sentinel://s1/mymaster/")).toEqual({ mode: "sentinel", sentinels: [{ host: "s1", port: 6379 }], masterName: "mymaster", tls: false });
  });

  it("reads a one-letter user name with no password, and a one-letter user with one", () => {
    expect(parseRedisUrl("redis+sentinel://a@s1/m")).toMatchObject({ username: "a", sentinels: [{ host: "s1", port: 6379 }] });
    expect(parseRedisUrl("redis+sentinel://a@s1/m")).not.toHaveProperty("password");
    expect(parseRedisUrl("redis+sentinel://a:pw@s1/m")).toMatchObject({ username: "a", password: "pw" });
  });

  it("refuses a sentinel db that is not a whole number, whatever surrounds the digits", () => {
    for (const db of ["x1", "1x", "-1"]) expect(() => parseRedisUrl(`redis+sentinel://s1/m/${db}`)).toThrow("REDIS_URL: the sentinel db must be an integer");
    expect(parseRedisUrl("redis+sentinel://s1/m/12")).toMatchObject({ db: 12 });
  });

  it("refuses a cluster URL with a path", () => {
    expect(() => parseRedisUrl("redis+cluster://n1:7000/0")).toThrow("REDIS_URL: a cluster URL takes no path (Cluster has only db 0) (got redis+cluster://n1:7000/0)");
  });

  it("accepts ports 1 and 65535 and refuses 0, 65536, letters after the port and brackets inside a host name", () => {
    expect(parseRedisUrl("redis+cluster://n1:1,n2:65535")).toMatchObject({ nodes: [{ host: "n1", port: 1 }, { host: "n2", port: 65535 }] });
    for (const host of ["n1:0", "n1:65536", "n1:80x", "a[b:1", "n1:port"]) {
      expect(() => parseRedisUrl(`redis+cluster://${host}`)).toThrow(`${BAD_HOST} (got redis+cluster://${host})`);
    }
  });

  it("hides the user-info of any scheme written with a plus, and leaves a URL without one as it is", () => {
    expect(describeRedisUrl("redis+sentinel://app:pw@s1/m")).toBe("redis+sentinel://***@s1/m");
    expect(describeRedisUrl("redis://cache:6379/0")).toBe("redis://cache:6379/0");
  });

  it("hides a password with a line break in it, in the description and in the refusal of that URL", () => {
    expect(describeRedisUrl("redis://app:se\ncret@cache:6379")).toBe("redis://***@cache:6379");
    const refusal = (() => {
      try {
        parseRedisUrl("redis://app:se\ncret@cache:6379");
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    })();
    expect(refusal).toMatch(/^REDIS_URL must be .*\(got redis:\/\/\*\*\*@cache:6379\)$/s);
    expect(refusal).not.toContain("cret");
  });

  it("refuses a standalone URL without a host, or one the URL parser rejects, with the REDIS_URL message", () => {
    // ioredis would quietly connect to localhost for the first two; the URL parser throws a bare "Invalid URL" for the last.
    for (const url of ["redis:///0", "redis://:6379", "redis://cache:99999"]) {
      expect(() => parseRedisUrl(url)).toThrow(new TypeError(`REDIS_URL must be ${REDIS_URL_FORMS} (got ${url})`));
    }
  });

  it("trims any Unicode space around a standalone URL before parsing it, not only what the URL parser strips", () => {
    expect(parseRedisUrl("\u00a0redis://cache:6380\u2003")).toEqual({ mode: "standalone", url: "redis://cache:6380" });
  });
});

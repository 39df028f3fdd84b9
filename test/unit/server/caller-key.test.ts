import { describe, expect, it } from "vitest";
import { callerKey, callerKeyOf } from "../../../src/server/caller-key.js";

describe("callerKey", () => {
  it("counts an IPv4 caller by its address", () => {
    expect(callerKey("203.0.113.7")).toBe("203.0.113.7");
  });

  it("counts an IPv4 address carried in IPv6 (NAT64 64:ff9b::/96, IPv4-compatible, IPv4-translated) as that address, but not ::1 or ::", () => {
    expect(callerKey("64:ff9b::203.0.113.7")).toBe("203.0.113.7");
    expect(callerKey("64:ff9b::cb00:7107")).toBe("203.0.113.7");
    expect(callerKey("::203.0.113.7")).toBe("203.0.113.7");
    expect(callerKey("::ffff:0:203.0.113.7")).toBe("203.0.113.7");
    expect(callerKey("::1")).toBe("0:0:0:0::/56");
    expect(callerKey("::")).toBe("0:0:0:0::/56");
    expect(callerKey("64:ff9b:1::203.0.113.7")).toBe("64:ff9b:1:0::/56");
  });

  it("counts an IPv4-mapped IPv6 caller as its IPv4 address, however it is spelled", () => {
    for (const mapped of ["::ffff:203.0.113.7", "::FFFF:203.0.113.7", "0:0:0:0:0:ffff:203.0.113.7", "::ffff:cb00:7107", "0000:0000:0000:0000:0000:ffff:cb00:7107", "::ffff:203.0.113.7%eth0"]) {
      expect(callerKey(mapped)).toBe("203.0.113.7");
    }
  });

  it("counts every address of one IPv6 /56 (what ISPs commonly give one customer) as one caller, by default", () => {
    const keys = ["2001:db8:1:201::1", "2001:db8:1:2ff:ffff:ffff:ffff:ffff", "2001:0db8:0001:0280:abcd::9", "2001:db8:1:200:0:0:0:0"].map((ip) => callerKey(ip));
    expect(new Set(keys)).toEqual(new Set(["2001:db8:1:200::/56"]));
  });

  it("keeps different IPv6 /56 networks apart, including the loopback and compressed forms", () => {
    expect(callerKey("2001:db8:1:300::1")).toBe("2001:db8:1:300::/56");
    expect(callerKey("::1")).toBe("0:0:0:0::/56");
    expect(callerKey("fe80::1%eth0")).toBe("fe80:0:0:0::/56");
    expect(callerKey("::fffe:1:2")).toBe("0:0:0:0::/56");
  });

  it("counts the network IPV6_CALLER_PREFIX_LENGTH names: /64 as before, /48 a site, /128 each address", () => {
    expect(callerKey("2001:db8:1:2ab::1", 64)).toBe("2001:db8:1:2ab::/64");
    expect(callerKey("2001:db8:1:2ab::1", 48)).toBe("2001:db8:1::/48");
    expect(callerKey("2001:db8:1:2ab::1", 60)).toBe("2001:db8:1:2a0::/60");
    expect(callerKey("2001:db8:1:2ab::1", 128)).toBe("2001:db8:1:2ab:0:0:0:1/128");
    expect(callerKey("2001:8db8:ffff::1", 33)).toBe("2001:8db8:8000::/33");
  });

  it("keeps anything that is not an IP address as it is, with or without a colon", () => {
    expect(callerKey("unknown")).toBe("unknown");
    expect(callerKey("proxy:not-an-address")).toBe("proxy:not-an-address");
  });
});

describe("callerKeyOf (the address TRUST_PROXY took from X-Forwarded-For)", () => {
  const via = (ip: string) => callerKeyOf({ ip, socket: { remoteAddress: "10.0.0.1" } });

  it("takes an entry's address without the port or brackets a proxy wrote (Azure Application Gateway, IIS ARR)", () => {
    expect(via("203.0.113.7:51234")).toBe("203.0.113.7");
    expect(via("[2001:db8:1:201::1]:443")).toBe("2001:db8:1:200::/56");
    expect(via("[2001:db8:1:201::1]")).toBe("2001:db8:1:200::/56");
    expect(via("[::ffff:203.0.113.7]:80")).toBe("203.0.113.7");
  });

  it("counts an entry that is not an address, with or without such decoration, as the peer", () => {
    for (const junk of ["a:b*?[x]", "[a:b*?]", "[nope]:80", "203.0.113.7:999999", "203.0.113.7:", `${"x".repeat(8192)}`]) expect(via(junk)).toBe("10.0.0.1");
  });
});

import { describe, expect, it } from "vitest";
import { callerKey } from "../../../src/server/caller-key.js";

describe("callerKey", () => {
  it("counts an IPv4 caller by its address", () => {
    expect(callerKey("203.0.113.7")).toBe("203.0.113.7");
  });

  it("counts an IPv4-mapped IPv6 caller as its IPv4 address", () => {
    expect(callerKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });

  it("counts every address of one IPv6 /64 as one caller", () => {
    const keys = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0db8:0001:0002:abcd::9", "2001:db8:1:2:0:0:0:0"].map(callerKey);
    expect(new Set(keys)).toEqual(new Set(["2001:db8:1:2::/64"]));
  });

  it("keeps different IPv6 /64 networks apart, including the loopback and compressed forms", () => {
    expect(callerKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(callerKey("::1")).toBe("0:0:0:0::/64");
    expect(callerKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(callerKey("::ffff:1:2")).toBe("0:0:0:0::/64");
  });

  it("keeps anything that is not an IP address as it is, with or without a colon", () => {
    expect(callerKey("unknown")).toBe("unknown");
    expect(callerKey("proxy:not-an-address")).toBe("proxy:not-an-address");
  });
});

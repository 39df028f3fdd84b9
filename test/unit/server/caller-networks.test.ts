import { describe, expect, it } from "vitest";
import { callerKey } from "../../../src/server/caller-key.js";
import { callerNetworks, callerNetworksOf } from "../../../src/server/caller-networks.js";

describe("callerNetworks: the IPv6 network a caller key lies in", () => {
  const networks = callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 4 })!;

  it("names a /56 caller's /48, the same for every /56 in it and another for the next /48", () => {
    const keys = ["2001:db8:1:200::1", "2001:db8:1:ff00::1", "2001:db8:1:0:1::1"].map((address) => callerKey(address, 56));
    expect(keys.map((key) => networks.networkOf(key))).toEqual(["2001:db8:1::/48", "2001:db8:1::/48", "2001:db8:1::/48"]);
    expect(networks.networkOf(callerKey("2001:db8:2:200::1", 56))).toBe("2001:db8:2::/48");
    expect(networks.callers).toBe(4);
  });

  it("gives an IPv4 caller, and an IPv4 address carried in IPv6, no network", () => {
    expect(networks.networkOf(callerKey("203.0.113.7", 56))).toBeUndefined();
    expect(networks.networkOf(callerKey("::ffff:203.0.113.7", 56))).toBeUndefined();
  });

  it("names one network for every /56 of 64:ff9b::/48, its first /56 (all zeros past the prefix) included", () => {
    // 64:ff9b:0:0:1::1 lies in the first /56 (its caller key 64:ff9b:0:0::/56) without embedding an IPv4 address.
    expect(["64:ff9b:0:0:1::1", "64:ff9b:0:100::1", "64:ff9b:0:ff00::1"].map((address) => networks.networkOf(callerKey(address, 56)))).toEqual(Array(3).fill("64:ff9b:0::/48"));
  });

  it("works for any prefix lengths, a /128 caller key included", () => {
    const wide = callerNetworks({ callerPrefixLength: 128, networkPrefixLength: 36, callers: 2 })!;
    expect(wide.networkOf(callerKey("2001:db8:1234:5678::1", 128))).toBe("2001:db8:1000::/36");
  });

  it("is off at IPV6_NETWORK_CALLERS=0 and when the network is no wider than a caller", () => {
    expect(callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 0 })).toBeUndefined();
    expect(callerNetworks({ callerPrefixLength: 48, networkPrefixLength: 48, callers: 4 })).toBeUndefined();
    expect(callerNetworks({ callerPrefixLength: 40, networkPrefixLength: 48, callers: 4 })).toBeUndefined();
  });

  it("is what a loaded configuration sets, and off in a hand-built one without ipv6Network", () => {
    expect(callerNetworksOf({ ipv6CallerPrefixLength: 64, ipv6Network: { prefixLength: 56, callers: 3 } })?.networkOf(callerKey("2001:db8:1:2ff::1", 64))).toBe("2001:db8:1:200::/56");
    expect(callerNetworksOf({ ipv6Network: { prefixLength: 48, callers: 3 } })?.networkOf(callerKey("2001:db8:1:2ff::1", 56))).toBe("2001:db8:1::/48");
    expect(callerNetworksOf({ ipv6CallerPrefixLength: 56 })).toBeUndefined();
  });
});

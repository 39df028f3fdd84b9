import { describe, expect, it } from "vitest";
import { keySlot, probeKeysPerMaster } from "../../../src/store/cluster-probe.js";

describe("cluster-probe", () => {
  it("computes Redis Cluster's slot of a key, and of its first non-empty hash tag", () => {
    // Values CLUSTER KEYSLOT answers.
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("bar")).toBe(5061);
    expect(keySlot("{user1000}.following")).toBe(keySlot("user1000"));
    expect(keySlot("foo{}{bar}")).toBe(8363);
    expect(keySlot("foo{{bar}}zap")).toBe(keySlot("{bar"));
  });

  it("names one key per master of the slot map, each landing on its master once the prefix is prepended", () => {
    const slots = Array.from({ length: 16_384 }, (_, slot) => [slot < 5_000 ? "a:1" : slot < 11_000 ? "b:2" : "c:3", "replica:9"]);
    const keys = probeKeysPerMaster(slots, "gw:", "idc:v1:health-probe");
    expect(keys.map((key) => slots[keySlot(`gw:${key}`)]![0]).sort()).toEqual(["a:1", "b:2", "c:3"]);
    expect(probeKeysPerMaster([], "gw:", "idc:v1:health-probe")).toEqual([]);
    // A prefix with its own hash tag puts every key on one master: one key to probe.
    expect(probeKeysPerMaster(slots, "{gw}:", "idc:v1:health-probe")).toHaveLength(1);
  });
});

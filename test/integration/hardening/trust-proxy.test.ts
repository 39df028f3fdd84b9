import { describe, expect, it } from "vitest";
import { useGatewaysPerTest, type HardenedGateway } from "./hardening-fixture.js";
import { httpFrom } from "./from-address.js";

/**
 * TRUST_PROXY decides which X-Forwarded-For entry is the caller (the per-caller rate-limit key).
 * Proxies such as ALB or nginx's $proxy_add_x_forwarded_for append the address they saw, so a
 * caller controls everything to its left: with a hop count or a proxy list the key is the
 * rightmost untrusted entry, and prepending entries changes nothing. `true` takes the leftmost
 * entry: shown here to be spoofable, which is why the README calls it unsafe behind such proxies.
 */

const gateways = useGatewaysPerTest();

async function gatewayTrusting(trustProxy: string): Promise<HardenedGateway> {
  // One request per caller per second and no burst: the second request of one caller is refused.
  return gateways.start({ TRUST_PROXY: trustProxy, RATE_LIMIT_CALLER_PER_SECOND: "1", RATE_LIMIT_CALLER_BURST: "0" });
}

/** `{ __typename }` from the proxy's address (127.0.0.2) carrying `forwardedFor`. */
async function statusVia(gateway: HardenedGateway, forwardedFor: string): Promise<number> {
  const response = await httpFrom("127.0.0.2", gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
    body: JSON.stringify({ query: "{ __typename }" }),
  });
  return response.status;
}

describe("TRUST_PROXY as a hop count", () => {
  it("TRUST_PROXY=1 keys the caller on the address the proxy appended: prepended entries do not buy a new allowance", async () => {
    const gateway = await gatewayTrusting("1");
    expect(await statusVia(gateway, "203.0.113.7")).toBe(200);
    expect(await statusVia(gateway, "198.51.100.1, 203.0.113.7")).toBe(429);
    expect(await statusVia(gateway, "198.51.100.2, 198.51.100.3, 203.0.113.7")).toBe(429);
    // Another real caller behind the same proxy keeps its own allowance.
    expect(await statusVia(gateway, "203.0.113.7, 203.0.113.8")).toBe(200);
  });

  it("TRUST_PROXY=1 takes an entry's address without the port a proxy wrote (Azure Application Gateway, IIS ARR): clients behind it keep their own allowances", async () => {
    const gateway = await gatewayTrusting("1");
    expect(await statusVia(gateway, "203.0.113.7:51234")).toBe(200);
    // The same client from another source port: the same caller.
    expect(await statusVia(gateway, "203.0.113.7:51299")).toBe(429);
    // Another client behind that proxy: its own allowance, not the proxy's (already spent on nobody).
    expect(await statusVia(gateway, "203.0.113.8:40000")).toBe(200);
    expect(await statusVia(gateway, "[2001:db8:1:201::1]:443")).toBe(200);
  });

  it("TRUST_PROXY=2 skips two proxies from the right", async () => {
    const gateway = await gatewayTrusting("2");
    expect(await statusVia(gateway, "203.0.113.7, 10.0.0.5")).toBe(200);
    expect(await statusVia(gateway, "198.51.100.1, 203.0.113.7, 10.0.0.6")).toBe(429);
  });
});

describe("TRUST_PROXY as a list of proxy addresses and CIDRs", () => {
  it("skips only the listed proxies from the right: the first unlisted entry is the caller, whatever was prepended", async () => {
    const gateway = await gatewayTrusting("127.0.0.2,10.0.0.0/8");
    expect(await statusVia(gateway, "203.0.113.7, 10.1.2.3")).toBe(200);
    expect(await statusVia(gateway, "198.51.100.1, 203.0.113.7, 10.9.9.9")).toBe(429);
    expect(await statusVia(gateway, "198.51.100.1, 203.0.113.7")).toBe(429);
    expect(await statusVia(gateway, "203.0.113.8")).toBe(200);
  });

  it("matches a listed proxy's hop written with a port (Azure Application Gateway) as that proxy: the client before it stays the caller", async () => {
    const gateway = await gatewayTrusting("127.0.0.2,10.0.0.0/8");
    expect(await statusVia(gateway, "203.0.113.7, 10.1.2.3:5555")).toBe(200);
    // Another client through the same proxy hop: its own allowance, not the proxy's.
    expect(await statusVia(gateway, "203.0.113.8, 10.1.2.3:6666")).toBe(200);
    expect(await statusVia(gateway, "203.0.113.7, [::ffff:10.1.2.3]:7777")).toBe(429);
  });

  it("ignores X-Forwarded-For from a peer that is not a listed proxy", async () => {
    const gateway = await gatewayTrusting("10.0.0.0/8");
    expect(await statusVia(gateway, "203.0.113.7")).toBe(200);
    // The peer 127.0.0.2 is the caller, whatever it claims.
    expect(await statusVia(gateway, "203.0.113.99")).toBe(429);
  });
});

describe("X-Forwarded-For entries that are not addresses", () => {
  it.each(["1", "true"])("count as the peer's address (TRUST_PROXY=%s): made-up strings neither buy allowances nor become keys", async (trustProxy) => {
    const gateway = await gatewayTrusting(trustProxy);
    expect(await statusVia(gateway, "attacker:chosen:key*?[x]")).toBe(200);
    // Each a new string, each the same caller: the peer 127.0.0.2.
    expect(await statusVia(gateway, "not-an-ip hello")).toBe(429);
    expect(await statusVia(gateway, "x".repeat(8_000))).toBe(429);
    // A well-formed address is still taken as the proxy's word.
    expect(await statusVia(gateway, "203.0.113.7")).toBe(200);
  });
});

describe("TRUST_PROXY=true", () => {
  it("takes the leftmost entry, which a caller behind an appending proxy chooses: unsafe there", async () => {
    const gateway = await gatewayTrusting("true");
    expect(await statusVia(gateway, "198.51.100.1, 203.0.113.7")).toBe(200);
    expect(await statusVia(gateway, "198.51.100.2, 203.0.113.7")).toBe(200);
  });
});

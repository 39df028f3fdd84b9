import { BlockList, isIP } from "node:net";
import type { TrustProxy } from "../config/config.types.js";
import { addressWithoutPort } from "./caller-key.js";

/**
 * Whether an address is one of the proxies TRUST_PROXY lists (addresses and CIDRs); undefined when
 * TRUST_PROXY is not a list. An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d and matches
 * the IPv4 entries too. An X-Forwarded-For hop written with a port or brackets (Azure Application
 * Gateway: `10.0.0.5:1234`) matches as its address: fastify's own list matching took such a hop as
 * untrusted and stopped there, making the proxy's address every client's key (an attacker's review).
 */
export function trustedProxyMatcher(trustProxy: TrustProxy): ((address: string) => boolean) | undefined {
  if (!Array.isArray(trustProxy)) return undefined;
  const list = new BlockList();
  for (const entry of trustProxy as readonly string[]) {
    const [address = "", prefix] = entry.split("/");
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (raw) => {
    const address = addressWithoutPort(raw);
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped !== undefined) return list.check(mapped, "ipv4") || list.check(address, "ipv6");
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 6 ? "ipv6" : "ipv4");
  };
}

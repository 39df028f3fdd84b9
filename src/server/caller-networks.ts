import type { GatewayConfig } from "../config/config.types.js";
import type { CallerNetworkTier } from "../ratelimit/rate-limit.types.js";
import { DEFAULT_IPV6_CALLER_PREFIX_LENGTH, ipv6PrefixKey } from "./caller-key.js";

/**
 * IPV6_NETWORK_PREFIX_LENGTH and IPV6_NETWORK_CALLERS: the second tier of every per-caller bound.
 *
 * Why: one IPv6 caller is a /56 (IPV6_CALLER_PREFIX_LENGTH), and a /48 holds 256 of them. A /48 is
 * free for the asking (tunnel brokers hand one to anyone), so one person could be 256 callers, each
 * with its own allowances: 256 × RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND is 512 calls to AWS a second
 * at the defaults, six times the application's whole RATE_LIMIT_APP_PER_SECOND; 256 ×
 * MAX_CONNECTIONS_PER_ADDRESS is every connection MAX_CONNECTIONS allows; 256 × MAX_PARSING_PER_CALLER
 * bodies parsed between two polls of the sockets hold the process. Each IPv6 caller is counted twice
 * instead: under its own key, and with every other caller of its network under the network's, which
 * gets IPV6_NETWORK_CALLERS callers' worth of each bound in all. An IPv4 caller has no network tier:
 * an IPv4 address is scarce, as a /48 is not. An ISP that gives its customers /56s from one /48 (256
 * homes) puts them under one network's bounds, like homes behind one carrier-grade NAT, but with
 * IPV6_NETWORK_CALLERS times the room.
 */
export type CallerNetworks = CallerNetworkTier;

/**
 * The network tier, or undefined when it is off: IPV6_NETWORK_CALLERS=0, or a network no wider than
 * one caller (the caller's own bounds already hold). `callerPrefixLength` is IPV6_CALLER_PREFIX_LENGTH.
 */
export function callerNetworks(settings: { callerPrefixLength: number; networkPrefixLength: number; callers: number }): CallerNetworks | undefined {
  const { callerPrefixLength, networkPrefixLength, callers } = settings;
  if (callers === 0 || networkPrefixLength >= callerPrefixLength) return undefined;
  return {
    callers,
    networkOf(key) {
      // A caller key names an IPv6 network as `<address>/<bits>`; an IPv4 key has no slash.
      const slash = key.indexOf("/");
      return slash < 0 ? undefined : ipv6PrefixKey(key.slice(0, slash), networkPrefixLength);
    },
  };
}

/** The network tier a gateway's configuration sets (off in hand-built configs without ipv6Network). */
export function callerNetworksOf(config: Pick<GatewayConfig, "ipv6CallerPrefixLength" | "ipv6Network">): CallerNetworks | undefined {
  if (config.ipv6Network === undefined) return undefined;
  return callerNetworks({
    callerPrefixLength: config.ipv6CallerPrefixLength ?? DEFAULT_IPV6_CALLER_PREFIX_LENGTH,
    networkPrefixLength: config.ipv6Network.prefixLength,
    callers: config.ipv6Network.callers,
  });
}

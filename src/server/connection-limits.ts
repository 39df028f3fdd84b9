import type { Socket } from "node:net";
import type { Server } from "node:http";
import type { ConnectionLimits, TrustProxy } from "../config/config.types.js";
import { callerKey } from "./caller-key.js";
import type { CallerNetworks } from "./caller-networks.js";
import { trustedProxyMatcher } from "./trusted-proxies.js";

/**
 * Bounds on client connections, applied to the node HTTP server under fastify:
 *
 * - a total cap (server.maxConnections): further connections are closed at once, so a flood of
 *   idle sockets cannot exhaust the process's file descriptors (AWS and Redis need some too);
 * - a per-address cap, counted per socket remoteAddress on 'connection' under its caller key (an
 *   IPv6 peer by its network (IPV6_CALLER_PREFIX_LENGTH), like the rate limits): one address cannot take the whole total cap,
 *   and the callers of one IPv6 network (IPV6_NETWORK_PREFIX_LENGTH) together hold at most IPV6_NETWORK_CALLERS
 *   times as many (caller-networks.ts). Trusted proxies listed in TRUST_PROXY are exempt (they carry everyone's
 *   traffic). Behind a hop count or `true` the proxies' addresses are unknown, and every
 *   connection arrives from one: capping it would cap all users together, so the per-address
 *   cap is off then (the total cap still holds; the proxy is the place to limit per client);
 * - headersTimeout of seconds, checked every second (node checks every 30 s by default), with
 *   keepAliveTimeout equal to it and requestTimeout a little longer, so slow-header and idle
 *   connections are dropped in seconds, not held a minute.
 */
export interface AppliedConnectionLimits {
  /** Whether the per-address cap is enforced, and why not when it is off (for the start-up log). */
  perAddress: { enforced: true } | { enforced: false; reason: string };
  /** Open connections from a remote address's caller key (its network for IPv6) right now (tests, debugging). */
  openConnections(address: string): number;
  /** Open connections from every caller of an IPv6 address's network (IPV6_NETWORK_PREFIX_LENGTH); 0 for IPv4 (tests, debugging). */
  openInNetwork(address: string): number;
}

/** node checks headersTimeout/requestTimeout on this interval; the default (30 s) would make a 5 s timeout ~35 s. */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;

/** requestTimeout: the headers' allowance plus time for a body of MAX_BODY_BYTES on a slow link. */
const REQUEST_BODY_ALLOWANCE_MS = 10_000;

/** Options for http.createServer (through fastify's `http` option): must be given at creation. */
export function httpServerOptions(): { connectionsCheckingInterval: number } {
  return { connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS };
}

export function applyConnectionLimits(
  server: Server, limits: SocketLimits, trustProxy: TrustProxy, ipv6PrefixLength?: number, networks?: CallerNetworks,
): AppliedConnectionLimits {
  const { maxConnections, maxConnectionsPerAddress, headersTimeoutMs } = getValidConnectionLimits(limits);
  server.maxConnections = maxConnections;
  server.headersTimeout = headersTimeoutMs;
  server.keepAliveTimeout = headersTimeoutMs;
  server.requestTimeout = headersTimeoutMs + REQUEST_BODY_ALLOWANCE_MS;

  const open = new Map<string, number>();
  // IPv6 networks' connections (IPV6_NETWORK_CALLERS × MAX_CONNECTIONS_PER_ADDRESS each): caller-networks.ts.
  const openInNetwork = new Map<string, number>();
  const perAddress = perAddressPolicy(maxConnectionsPerAddress, trustProxy);
  if (perAddress.enforced) {
    const exempt = trustedProxyMatcher(trustProxy);
    server.on("connection", (socket: Socket) => {
      if (socket.remoteAddress === undefined || exempt?.(socket.remoteAddress) === true) return;
      const address = callerKey(socket.remoteAddress, ipv6PrefixLength);
      const network = networks?.networkOf(address);
      const overNetwork = network !== undefined && (openInNetwork.get(network) ?? 0) >= maxConnectionsPerAddress * (networks?.callers ?? 1);
      if ((open.get(address) ?? 0) >= maxConnectionsPerAddress || overNetwork) {
        socket.destroy();
        return;
      }
      count(open, address, 1);
      if (network !== undefined) count(openInNetwork, network, 1);
      socket.once("close", () => {
        count(open, address, -1);
        if (network !== undefined) count(openInNetwork, network, -1);
      });
    });
  }
  return {
    perAddress,
    openConnections: (address) => open.get(callerKey(address, ipv6PrefixLength)) ?? 0,
    openInNetwork: (address) => {
      const network = networks?.networkOf(callerKey(address, ipv6PrefixLength));
      return network === undefined ? 0 : openInNetwork.get(network) ?? 0;
    },
  };
}

/** Adds `change` to a key's count; a count back at 0 leaves the map. */
function count(counts: Map<string, number>, key: string, change: 1 | -1): void {
  const next = (counts.get(key) ?? 0) + change;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}

function perAddressPolicy(max: number, trustProxy: TrustProxy): AppliedConnectionLimits["perAddress"] {
  if (max === 0) return { enforced: false, reason: "MAX_CONNECTIONS_PER_ADDRESS=0" };
  if (trustProxy === true || typeof trustProxy === "number") {
    return {
      enforced: false,
      reason: "TRUST_PROXY is a hop count or true: every connection comes from a proxy whose address is not known (list the proxies' addresses in TRUST_PROXY to cap direct callers)",
    };
  }
  return { enforced: true };
}


/** The socket-level limits (MAX_PARSING_PER_CALLER is per request body: caller-turns.ts). */
type SocketLimits = Omit<ConnectionLimits, "maxParsingPerCaller">;

function getValidConnectionLimits(limits: SocketLimits): SocketLimits {
  const { maxConnections, maxConnectionsPerAddress, headersTimeoutMs } = limits ?? ({} as SocketLimits);
  const valid = Number.isInteger(maxConnections) && maxConnections >= 1
    && Number.isInteger(maxConnectionsPerAddress) && maxConnectionsPerAddress >= 0
    && Number.isInteger(headersTimeoutMs) && headersTimeoutMs >= 1;
  if (!valid) {
    throw new TypeError(
      `applyConnectionLimits: limits must be { maxConnections >= 1, maxConnectionsPerAddress >= 0 (0 = off), headersTimeoutMs >= 1 } integers (got ${JSON.stringify(limits)})`,
    );
  }
  return limits;
}

import { isIP, isIPv6 } from "node:net";

/**
 * How many leading bits of an IPv6 address name one caller (IPV6_CALLER_PREFIX_LENGTH's default): a
 * /56, what ISPs commonly delegate to one customer. Counted by its /64, as before, one home with a /56
 * was 256 callers, each with its own allowances: 256 × RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND is 512
 * upstream calls a second at the defaults, six times the application's whole RATE_LIMIT_APP_PER_SECOND,
 * and 256 × MAX_CONNECTIONS_PER_ADDRESS is every connection the gateway takes. Several customers may
 * share a /56 (a /60 each, or a mobile carrier's pool), as many share one IPv4 address behind CGNAT.
 */
export const DEFAULT_IPV6_CALLER_PREFIX_LENGTH = 56;

/**
 * The key a caller is counted under (rate limits, upstream budget, connections, persisted queries):
 * its IPv4 address, or for IPv6 its network of `ipv6PrefixLength` bits. One IPv6 customer is
 * routinely given a whole network (2^64 addresses in a /64, 256 /64s in a /56): counting each
 * address separately would let one machine appear as any number of callers and spend the
 * application's AWS quota anyway. IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
export function callerKey(ip: string, ipv6PrefixLength = DEFAULT_IPV6_CALLER_PREFIX_LENGTH): string {
  // No colon, no IPv6: Node 20's isIPv6 is a long regular expression (~5 µs a request for IPv4 callers).
  // Stryker disable next-line StringLiteral: equivalent but for speed, every string includes "" and then meets isIPv6 alone
  if (!ip.includes(":") || !isIPv6(ip)) return ip;
  const expanded = expandIPv6(ip);
  // An IPv4 address carried in IPv6, in any spelling (with a zone too): the IPv4 caller. Keyed by their
  // network instead, every IPv4 client behind a NAT64 (64:ff9b::/96) shared one key, and ::a.b.c.d
  // shared ::1's.
  if (embedsIPv4(expanded)) {
    const [high = 0, low = 0] = expanded.slice(6);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return prefixKey(expanded, ipv6PrefixLength);
}

/**
 * The key of the network of `prefixLength` bits an IPv6 address (or a caller key's address part) lies
 * in, whatever it embeds: an IPv6 caller's network (caller-networks.ts). Through callerKey, the /48
 * 64:ff9b::/48 was two networks, its first /56 read as the IPv4 address 0.0.0.0.
 */
export function ipv6PrefixKey(ip: string, prefixLength: number): string {
  return prefixKey(expandIPv6(ip), prefixLength);
}

function prefixKey(expanded: readonly number[], prefixLength: number): string {
  const groups = expanded.map((group, index) => {
    const keptBits = Math.min(16, Math.max(0, prefixLength - 16 * index));
    return (group & ~(0xffff >> keptBits) & 0xffff).toString(16);
  });
  const named = Math.ceil(prefixLength / 16);
  return named >= 8 ? `${groups.join(":")}/${prefixLength}` : `${groups.slice(0, named).join(":")}::/${prefixLength}`;
}

/**
 * IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), the well-known NAT64 prefix
 * (64:ff9b::/96) and the deprecated IPv4-compatible form (::/96, but not :: and ::1).
 */
function embedsIPv4(groups: readonly number[]): boolean {
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g2 !== 0 || g3 !== 0) return false;
  if (g0 === 0 && g1 === 0 && g4 === 0 && g5 === 0xffff) return true;
  if (g0 === 0 && g1 === 0 && g4 === 0xffff && g5 === 0) return true;
  if (g0 === 0x64 && g1 === 0xff9b && g4 === 0 && g5 === 0) return true;
  return g0 === 0 && g1 === 0 && g4 === 0 && g5 === 0 && g6 !== 0;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded; a trailing dotted IPv4 part converted). */
function expandIPv6(ip: string): number[] {
  const address = ip.replace(/%.*$/, "").toLowerCase();
  const withoutV4 = address.replace(/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, (_match, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head = "", tail] = withoutV4.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => "0");
  return [...headGroups, ...zeros, ...tailGroups].map((group) => Number.parseInt(group, 16));
}

/**
 * The key of the caller that sent `request`: callerKey of its address. `request.ip` differs from the
 * socket's address only when TRUST_PROXY took it from X-Forwarded-For, which a caller reaching the
 * gateway directly fills with anything: an entry that is not an address (an 8 KB string, "a:b*?[x]")
 * would be a rate-limit key of the caller's choosing, in Redis and in memory, and a new allowance
 * each. Such an entry counts as the socket's address. (A well-formed address is a proxy's word,
 * which TRUST_PROXY says to take.)
 */
export function callerKeyOf(request: { ip: string; socket: { remoteAddress?: string | undefined } }, ipv6PrefixLength = DEFAULT_IPV6_CALLER_PREFIX_LENGTH): string {
  const socketAddress = request.socket.remoteAddress;
  if (request.ip === socketAddress || socketAddress === undefined) return callerKey(request.ip, ipv6PrefixLength);
  const ip = addressWithoutPort(request.ip);
  return callerKey(isIP(ip) !== 0 ? ip : socketAddress, ipv6PrefixLength);
}

/**
 * An X-Forwarded-For entry's address without the port or brackets some proxies write (Azure
 * Application Gateway and IIS ARR: `203.0.113.7:51234`, `[2001:db8::1]:443`). Taken as not an
 * address, each such entry counted as the proxy's own, and every client behind it shared one
 * allowance (an attacker's review: 10 users, 4-6 requests through in all).
 */
export function addressWithoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  return v4WithPort ? v4WithPort[1]! : entry;
}

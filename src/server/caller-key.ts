import { isIP, isIPv6 } from "node:net";

/**
 * The key a caller is counted under (rate limits, upstream budget): its IPv4 address, or for IPv6
 * its /64 network. One IPv6 host is routinely given a whole /64 (2^64 addresses): counting each
 * address separately would let one machine appear as any number of callers and spend the
 * application's AWS quota anyway. IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
export function callerKey(ip: string): string {
  // No colon, no IPv6: Node 20's isIPv6 is a long regular expression (~5 µs a request for IPv4 callers).
  // Stryker disable next-line StringLiteral: equivalent but for speed, every string includes "" and then meets isIPv6 alone
  if (!ip.includes(":") || !isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  return `${expandIPv6(ip).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros (`::` expanded; a trailing dotted IPv4 part converted). */
function expandIPv6(ip: string): string[] {
  const address = ip.replace(/%.*$/, "").toLowerCase();
  const withoutV4 = address.replace(/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, (_match, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head = "", tail] = withoutV4.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => "0");
  return [...headGroups, ...zeros, ...tailGroups].map((group) => Number.parseInt(group, 16).toString(16));
}

/**
 * The key of the caller that sent `request`: callerKey of its address. `request.ip` differs from the
 * socket's address only when TRUST_PROXY took it from X-Forwarded-For, which a caller reaching the
 * gateway directly fills with anything: an entry that is not an address (an 8 KB string, "a:b*?[x]")
 * would be a rate-limit key of the caller's choosing, in Redis and in memory, and a new allowance
 * each. Such an entry counts as the socket's address. (A well-formed address is a proxy's word,
 * which TRUST_PROXY says to take.)
 */
export function callerKeyOf(request: { ip: string; socket: { remoteAddress?: string | undefined } }): string {
  const { ip } = request;
  const socketAddress = request.socket.remoteAddress;
  return callerKey(ip === socketAddress || socketAddress === undefined || isIP(ip) !== 0 ? ip : socketAddress);
}

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * Headers a proxy adds when it forwards a request. A request carrying any of them did not come
 * from a program on this machine talking to us directly: either a (local) reverse proxy forwarded
 * it for someone else, or a caller is trying to claim an address it does not have.
 */
const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "via"] as const;

/**
 * True when the TCP peer is the loopback address (127.0.0.1 or ::1, also IPv4-mapped), no proxy
 * forwarded the request, AND it was sent to a name no one else's DNS answers. Deliberately reads the
 * socket, never request.ip: TRUST_PROXY must not let a caller claim to be local.
 */
export function isLoopbackCaller(request: IncomingMessage): boolean {
  if (!isLoopbackAddress(request.socket.remoteAddress)) return false;
  return FORWARDING_HEADERS.every((name) => request.headers[name] === undefined) && hostCannotBeRebound(request.headers.host);
}

/** A Host header: a name or IPv4 address, or a bracketed IPv6 address, then an optional port. */
const HOST_HEADER = /^(?<name>[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/**
 * DNS rebinding: a page at http://attacker.example:4000, whose name the attacker's DNS then points at
 * 127.0.0.1, reaches the gateway from this machine's browser as its own origin: the peer is loopback.
 * Such a Host names the attacker's domain; `localhost` (browsers resolve it and `*.localhost` to loopback
 * themselves) and addresses cannot be rebound. (The emulator has its own copy: it imports no gateway code.)
 */
function hostCannotBeRebound(host: string | undefined): boolean {
  const name = host === undefined ? undefined : HOST_HEADER.exec(host)?.groups?.name?.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (name === undefined) return false;
  return name === "localhost" || name.endsWith(".localhost") || isIP(name) !== 0;
}

/**
 * 127.0.0.1 and ::1 only: what a browser or curl on this machine uses for "localhost". The rest of
 * 127.0.0.0/8 is refused too: a program must choose such a source address on purpose, and tests use
 * it to stand for "another caller".
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address?.toLowerCase() === "::ffff:127.0.0.1";
}

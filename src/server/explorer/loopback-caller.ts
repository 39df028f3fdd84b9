import type { IncomingMessage } from "node:http";

/**
 * Headers a proxy adds when it forwards a request. A request carrying any of them did not come
 * from a program on this machine talking to us directly: either a (local) reverse proxy forwarded
 * it for someone else, or a caller is trying to claim an address it does not have.
 */
const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "via"] as const;

/**
 * True when the TCP peer is the loopback address (127.0.0.1 or ::1, also IPv4-mapped) AND no
 * proxy forwarded the request. Deliberately reads the socket, never request.ip: TRUST_PROXY must
 * not let a caller claim to be local.
 */
export function isLoopbackCaller(request: IncomingMessage): boolean {
  if (!isLoopbackAddress(request.socket.remoteAddress)) return false;
  return FORWARDING_HEADERS.every((name) => request.headers[name] === undefined);
}

/**
 * 127.0.0.1 and ::1 only: what a browser or curl on this machine uses for "localhost". The rest of
 * 127.0.0.0/8 is refused too: a program must choose such a source address on purpose, and tests use
 * it to stand for "another caller".
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address?.toLowerCase() === "::ffff:127.0.0.1";
}

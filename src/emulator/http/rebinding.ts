import { isIP } from "node:net";

/**
 * DNS rebinding: a page at http://attacker.example:4566 whose name the attacker then points at
 * 127.0.0.1 reaches the emulator as its own origin (Origin and Host both name attacker.example), so
 * "the page is the emulator's own origin" alone lets it call the developer API and read the answers.
 * A name the attacker's DNS answers cannot be `localhost` (browsers resolve it and `*.localhost` to
 * loopback themselves) nor an address, so a browser's request is served only when its Host is one
 * of those: the name in the address bar when the emulator runs on the developer's machine or is
 * reached by its address. Programs (curl, the SDKs, the gateway) send no Origin and are not asked.
 *
 * @param host the request's Host header
 */
export function hostCannotBeRebound(host: string | undefined): boolean {
  const hostname = hostnameOf(host);
  if (hostname === undefined) return false;
  return hostname === "localhost" || hostname.endsWith(".localhost") || isIP(hostname) !== 0;
}

/** A Host header: a name or IPv4 address, or a bracketed IPv6 address, then an optional port. */
const HOST_HEADER = /^(?<name>[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/** The Host header's name, lower-case and without brackets or port; undefined for a header that is not a host. */
function hostnameOf(host: string | undefined): string | undefined {
  const name = host === undefined ? undefined : HOST_HEADER.exec(host)?.groups?.name;
  return name?.toLowerCase().replace(/^\[(.*)\]$/, "$1");
}

import { connect } from "node:net";

/**
 * Writes `wire` (any bytes: pipelined requests, chunked bodies) on one new connection from
 * `localAddress`, and collects the status code of every answer until the gateway closes the
 * connection (`closedByGateway`) or `timeoutMs` passes. Counts, not times: what the framing
 * bounds promise (how many requests a connection gets parsed and answered) is exact.
 */
export function answersOnOneConnection(port: number, wire: string, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<{ statuses: string[]; closedByGateway: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress: options.localAddress ?? "127.0.0.2" });
    let received = "";
    let closedByGateway = false;
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(wire));
    socket.on("data", (data: string) => { received += data; });
    socket.on("end", () => { closedByGateway = true; });
    socket.on("error", () => { closedByGateway = true; });
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 10_000);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ statuses: [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => match[1]!), closedByGateway });
    });
  });
}

/** `payload` framed as a chunked body of `size`-byte chunks (Transfer-Encoding: chunked), its last chunk included. */
export function chunked(payload: string, size: number): string {
  const parts: string[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const chunk = payload.slice(at, at + size);
    parts.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  }
  parts.push("0\r\n\r\n");
  return parts.join("");
}

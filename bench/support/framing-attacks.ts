import { connect, type Socket } from "node:net";
import { HOSTILE_ADDRESS } from "./hostile-caller.js";

/** `payload` framed as chunks of `size` bytes. */
function chunked(payload: string, size: number): string {
  const parts: string[] = [];
  for (let at = 0; at < payload.length; at += size) parts.push(`${payload.slice(at, at + size).length.toString(16)}\r\n${payload.slice(at, at + size)}\r\n`);
  return `${parts.join("")}0\r\n\r\n`;
}

const CHUNKED_REQUEST = `POST /nope HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked("y".repeat(60_000), 1)}`;
const PIPELINED_BATCH = "GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n".repeat(Math.floor(65_536 / 39));

/**
 * The framing attacks src/server/http-framing.ts bounds, from the hostile caller's address, beside its
 * refusals in the (hostile) row: `floodConnections` connections each writing 64 KB batches of pipelined
 * GET /healthz as fast as they drain, reconnecting when closed, and a 60 KB body in 1-byte chunks on a
 * new connection every `chunkedEveryMs` to a path no route serves (no rate limit there). Before the
 * bounds, each alone held a second caller at a median of 200–500 ms (the reviews' figures, README).
 * Resolves with what was sent and answered once `durationMs` has passed.
 */
export async function runFramingAttacks(options: { url: string; durationMs: number; floodConnections?: number; chunkedEveryMs?: number }): Promise<{ connections: number; answers: number }> {
  const { port, hostname } = new URL(options.url);
  const sockets = new Set<Socket>();
  let stopped = false;
  let connections = 0;
  let answers = 0;
  const open = (wire: string, again: boolean) => {
    if (stopped) return;
    connections += 1;
    const socket = connect({ host: hostname, port: Number(port), localAddress: HOSTILE_ADDRESS });
    sockets.add(socket);
    const pump = () => { while (!stopped && socket.writable && socket.write(wire) && again); };
    socket.on("connect", pump);
    if (again) socket.on("drain", pump);
    socket.on("data", (data: Buffer) => {
      for (let at = data.indexOf("HTTP/1.1 "); at >= 0; at = data.indexOf("HTTP/1.1 ", at + 1)) answers += 1;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      if (again) setTimeout(() => open(wire, again), 1);
    });
  };
  for (let index = 0; index < (options.floodConnections ?? 4); index++) open(PIPELINED_BATCH, true);
  const chunkedTimer = setInterval(() => open(CHUNKED_REQUEST, false), options.chunkedEveryMs ?? 100);
  await new Promise((resolve) => setTimeout(resolve, options.durationMs));
  stopped = true;
  clearInterval(chunkedTimer);
  for (const socket of sockets) socket.destroy();
  return { connections, answers };
}

import type { Socket } from "node:net";
import { parserCallback, type ParserInternals } from "./node-http-parser.js";

/**
 * How a connection the gateway refused (http-framing.ts) closes: lingering, as nginx closes one, so a client still
 * writing its body gets the answer instead of a reset, within bounds of time and bytes, per connection and per server.
 */

/** How long a refused connection's further bytes are read and dropped, at most, and while they keep coming. */
const LINGER_MS = 3_000;
const LINGER_IDLE_MS = 1_000;
/** ... and how many: a client writing a body this large before it reads still gets its answer. */
const LINGER_MAX_BYTES = 16 * 1024 * 1024;
/** How often a lingering connection's bytes read are looked at (Node's parser reads them: no 'data' event shows them). */
const LINGER_CHECK_MS = 50;
const LINGERING = new WeakSet<Socket>();
/**
 * ... and how many all of a server's lingering connections read together, per second (at most this many at once):
 * each connection's 16 MiB bounds one connection, not a caller who opens the next (a review: 4 connections posting
 * bodies over MAX_BODY_BYTES to /nope, no rate limit there, each reopened once closed, had the gateway read 1.2 GB in
 * 5 s, 3 s of CPU; /graphql's 413s, 2 GB in 5 s within the rate limit). Spent, a connection closes at once, as Node
 * closes it: a client writing its whole body before it reads gets a reset then, not the answer.
 */
export const LINGER_BYTES_PER_SECOND = 32 * 1024 * 1024;

/**
 * A token bucket of bytes: `spend` answers whether the bytes fit (refilled at `perSecond`, holding at most that many).
 * Written here: rate-limiter-flexible's limiters (the rate limits') are asynchronous and count in fixed windows; this is
 * spent synchronously inside each parser read.
 */
export interface ByteBudget { spend(bytes: number): boolean }
export function byteBudget(perSecond: number): ByteBudget {
  let available = perSecond;
  let at = Date.now();
  return {
    spend(bytes) {
      const now = Date.now();
      available = Math.min(perSecond, available + ((now - at) * perSecond) / 1000);
      at = now;
      available -= bytes;
      return available >= 0;
    },
  };
}

/**
 * Closes a refused connection the way nginx's lingering close does: the answer is sent and the
 * connection half-closed, then what the client still sends is read and dropped (the parser, stopped,
 * reads nothing of it) for a bounded time and size before the socket is destroyed. Destroyed at once,
 * the kernel answered the unread body with a reset, and a client that writes its whole body before
 * reading (Python's http.client, `requests`) got ConnectionResetError instead of the 411 (a review:
 * 5 of 5 with an 8 MB body), or BrokenPipeError instead of a 413.
 *
 * The bytes are counted from `socket.bytesRead`, polled: Node's HTTP parser consumes the socket's handle
 * in C++, so they reach no 'data' listener.
 */
export function lingerThenClose(socket: Socket, budget: ByteBudget): void {
  if (LINGERING.has(socket) || socket.destroyed) return;
  LINGERING.add(socket);
  if (!budget.spend(0)) {
    // Closed as Node closes it (destroySoon): the answer written, then destroyed.
    socket.end();
    if (socket.writableFinished) socket.destroy();
    else socket.once("finish", () => socket.destroy());
    return;
  }
  const startedAt = Date.now();
  const bytesAtStart = socket.bytesRead;
  let lastBytes = bytesAtStart;
  let counted = bytesAtStart;
  /** Whether the connection read past its bounds in bytes (its own, or the server's budget): closed then. */
  const overBytes = () => {
    const bytes = socket.bytesRead;
    const fresh = bytes - counted;
    counted = bytes;
    if (budget.spend(fresh) && bytes - bytesAtStart <= LINGER_MAX_BYTES) return false;
    close();
    return true;
  };
  let lastProgressAt = startedAt;
  const close = () => socket.destroy();
  const check = setInterval(() => {
    const now = Date.now();
    const bytes = socket.bytesRead;
    if (bytes !== lastBytes) [lastBytes, lastProgressAt] = [bytes, now];
    const tooLong = now - startedAt >= LINGER_MS || now - lastProgressAt >= LINGER_IDLE_MS;
    if (tooLong) close();
    else overBytes();
  }, LINGER_CHECK_MS);
  socket.once("close", () => clearInterval(check));
  // The byte bound, after each read the parser is given (polled alone, at loopback speed ~40 MiB went by in 50 ms).
  boundEachRead(socket, overBytes);
  socket.once("end", close);
  socket.end();
  // Not while Node's HTTP server holds the socket paused (its answers backed up: socket._paused): its data handler
  // asserts it gets nothing then, and the assertion would end the process. Node resumes it once its answers drain.
  // Defensive: a refused connection lingers only once its answers are sent (owe), when Node has resumed it; a test
  // backing a connection up (7 unread explorer pages, then a chunked body) did not reach this with it paused.
  if ((socket as Socket & { _paused?: boolean })._paused !== true) {
    socket.resume();
    readAgain(socket);
  }
}

/**
 * Starts the socket's handle reading again if Node stopped it: a request body refused unread (a 413) filled the
 * request's buffer, Node stopped the handle, and `resume()` alone does not restart it (the stream still counts a
 * read in progress): the connection read nothing more and closed with the body unread (a reset). Node's own
 * tryReadStart does the same two steps. Internals: checked before use; without them the connection closes as before.
 */
function readAgain(socket: Socket): void {
  const handle = (socket as Socket & { _handle?: { reading?: boolean; readStart?: () => number } | null })._handle;
  if (handle == null || handle.reading !== false || typeof handle.readStart !== "function") return;
  handle.reading = true;
  if (handle.readStart() !== 0) socket.destroy();
}

/**
 * Calls `over` after each read Node's parser consumed from the socket (its kOnExecute callback, which Node calls once
 * per read and resets when the parser is freed): the 50 ms poll alone let a client at loopback speed send ~40 MiB past
 * LINGER_MAX_BYTES' 16. Internals: checked before use; without them the poll still bounds the bytes, later.
 */
function boundEachRead(socket: Socket, over: () => boolean): void {
  const callback = parserCallback(socket, "kOnExecute");
  if (callback === undefined) return;
  const { parser, key, original } = callback;
  parser[key] = function executed(this: ParserInternals, ...args: unknown[]): unknown {
    if (over()) return undefined;
    return original.apply(this, args);
  };
}

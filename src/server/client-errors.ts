import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/**
 * Requests Node's HTTP parser refuses before any route sees them (fastify's `clientErrorHandler`):
 * headers past Node's 16 KB (431), headers or a body not sent within HEADERS_TIMEOUT_MS (408), and
 * anything that is not HTTP/1.x (400). fastify answered them with a JSON body of its own,
 * `{"error":"Bad Request","message":"Client Error","statusCode":400}`, which carries no
 * `errors[0].extensions.code` and does not say what was wrong. Answered like every other transport
 * refusal (transport-errors.ts, http-framing.ts): GraphQL-shaped, BAD_REQUEST, a message saying what
 * to fix. Nothing of the request is repeated (Node's error holds its raw bytes: cookies, grants), and
 * the error is not logged.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A connection reset, or one already gone: nobody to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] = refusalOf(error.code);
  // As Node's own handler: no answer over one already being written on this connection (it would corrupt it).
  const inFlight = (socket as Socket & { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage;
  if (socket.writable && (inFlight == null || inFlight._headerSent !== true)) {
    const body = JSON.stringify({ errors: [{ message, extensions: { code: "BAD_REQUEST", retryable: status === 408 } }] });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

function refusalOf(code: string | undefined): [400 | 408 | 431, string] {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return [408, "The request was not received in time (HEADERS_TIMEOUT_MS for its headers, a little more for its body): send it at once."];
  if (code === "HPE_HEADER_OVERFLOW") return [431, "The request's headers are larger than 16 KB: send fewer or smaller headers and cookies."];
  return [400, `The request is not valid HTTP/1.1${code?.startsWith("HPE_") === true ? ` (${code})` : ""}.`];
}

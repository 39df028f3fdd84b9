import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * Requests carrying Transfer-Encoding (a chunked body) are refused before their body is parsed: HTTP
 * 411 LENGTH_REQUIRED, GraphQL-shaped, and the connection closed. Every GraphQL client sends its
 * operation with a Content-Length (fetch, Apollo Client, curl --data), and so does a proxy that
 * buffers request bodies (nginx's default).
 *
 * Why: Node's HTTP parser calls into JavaScript, with a Buffer copy, once per chunk, before any
 * fastify hook, limit or caller turn sees the request, and whether or not the request is then
 * refused: a 60 KB body sent as 1-byte chunks (360 KB on the wire) cost 70–90 ms of CPU, on /graphql
 * within the caller's rate limit (20 such requests: 1.7 s of CPU) and on a path no route serves with
 * no limit at all (another caller's /healthz waited up to 974 ms; test/integration/hardening/chunked-bodies.test.ts).
 * The parser is paused in the request's own 'request' event, right after its headers, so not one
 * chunk of its body is parsed; the parser then reports the pause as a client error, on which the
 * socket (its 411 already written) is destroyed.
 */
export function createFramedBodiesServer(options: Parameters<typeof createServer>[0], handler: RequestListener, onRefused?: () => void): Server {
  const refusing = new WeakSet<Socket>();
  const server = createServer(options, (request: IncomingMessage, response: ServerResponse) => {
    if (request.headers["transfer-encoding"] === undefined) {
      handler(request, response);
      return;
    }
    onRefused?.();
    const { socket } = request;
    refusing.add(socket);
    const body = JSON.stringify({
      errors: [{ message: "Send the request body with a Content-Length: Transfer-Encoding (a chunked body) is not accepted.", extensions: { code: "LENGTH_REQUIRED", retryable: false } }],
    });
    response.shouldKeepAlive = false;
    response.writeHead(411, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), connection: "close" });
    response.end(body);
    // Not one chunk of the body is parsed: llhttp stops right after the headers (HPE_PAUSED, a client error).
    const parser = (socket as Socket & { parser?: { pause?: () => void } | null }).parser;
    if (typeof parser?.pause === "function") parser.pause();
    else socket.destroy();
  });
  // Before fastify's own handler, which would write a 400 after the 411: the refused socket is only closed.
  server.prependListener("clientError", (_error: Error, socket: Socket) => {
    if (refusing.has(socket)) socket.destroy();
  });
  return server;
}

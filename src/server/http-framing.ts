import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { byteBudget, LINGER_BYTES_PER_SECOND, lingerThenClose } from "./lingering-close.js";
import { parserCallback, type ParserInternals } from "./node-http-parser.js";

/**
 * MAX_PIPELINED_REQUESTS' default: requests a connection may have unanswered at once (its own
 * included); a client that pipelines deeper has its connection closed, the requests past this never parsed.
 *
 * Why: one socket read (64 KB) holds ~1,600 small pipelined requests, and Node's parser dispatches
 * every one, each to its answer or its first wait, before the event loop polls another socket. Cheap
 * answers (GET /healthz, a 404, a 429 refusal) cost nothing alone and everything together: one
 * address on 4 connections got 61,000 /healthz answers (37,600 refusals on /graphql) a second and
 * held another caller's `{ __typename }` at a median of 200–500 ms, up to 1 s
 * (test/integration/hardening/pipelining.test.ts). Browsers and the usual HTTP clients never pipeline;
 * with this bound one read of one connection dispatches at most this many requests.
 */
export const DEFAULT_MAX_PIPELINED_REQUESTS = 8;

/**
 * The gateway's HTTP server (fastify's `serverFactory`): node's, with three refusals before fastify sees
 * a request, each stopping Node's parser in the request's own 'request' event, right after its headers
 * (llhttp reports the stop as a client error; the connection closes once the answers owed on it are sent):
 *
 * - a request carrying Transfer-Encoding (a chunked body): HTTP 411, GraphQL-shaped BAD_REQUEST,
 *   connection closed, not one chunk of its body parsed. Every GraphQL client sends its operation with
 *   a Content-Length (fetch, Apollo Client, curl --data), and so does a proxy that buffers request
 *   bodies (nginx's default). Why: Node's HTTP parser calls into JavaScript, with a Buffer copy, once
 *   per chunk, before any fastify hook, limit or caller turn sees the request, and whether or not the
 *   request is then refused: a 60 KB body sent as 1-byte chunks (360 KB on the wire) cost 70–90 ms of
 *   CPU, on /graphql within the caller's rate limit (20 such requests: 1.7 s of CPU) and on a path no
 *   route serves with no limit at all (another caller's /healthz waited up to 974 ms;
 *   test/integration/hardening/chunked-bodies.test.ts);
 * - a request past `maxPipelined` (MAX_PIPELINED_REQUESTS; 0 = no bound) unanswered on its connection: the connection is closed;
 * - an HTTP/1.1 request without Host: 400, GraphQL-shaped BAD_REQUEST, connection closed.
 *
 * Requests Node used to answer itself without a 'request' event (no Host: 400; an Expect other than
 * 100-continue: 417) pass through here and count against the bound (a review: pipelined, both escaped
 * it). A refused connection is closed lingering (lingerThenClose). `onRefused` counts each refusal.
 */
export function createGatewayHttpServer(
  options: Parameters<typeof createServer>[0], handler: RequestListener,
  bounds: {
    maxPipelined?: number | undefined;
    onRefused?: (reason: "transfer_encoding" | "pipelining" | "missing_host") => void;
    /**
     * MAX_BODY_BYTES: a request declaring a longer body is never served (413 on a route that reads it), so whatever
     * answers it closes the connection, lingering (bounded), instead of keeping it alive while Node reads and drops the
     * whole declared body.
     */
    maxBodyBytes?: number | undefined;
    /** Bytes all lingering connections together may read and drop per second (and at once): LINGER_BYTES_PER_SECOND by default. */
    lingerBytesPerSecond?: number | undefined;
    /** Once, when a connection's parser cannot be hooked (a Node whose internals differ): refusals then cost the rest of a read. */
    onParserNotHooked?: () => void;
  } = {},
): Server {
  const { onRefused, maxBodyBytes } = bounds;
  const lingerBudget = byteBudget(bounds.lingerBytesPerSecond ?? LINGER_BYTES_PER_SECOND);
  let notHookedSaid = false;
  const maxPipelined = bounds.maxPipelined ?? DEFAULT_MAX_PIPELINED_REQUESTS;
  // Connections refused: their parser stops after the headers it is in (stopAfterHeaders); they close lingering.
  // One set for the process: a pooled parser is wrapped once, whichever of its servers saw it first.
  const refusing = REFUSING;
  // Answers owed on each connection (its requests', refusals' included), until each is sent ('close'): a refused
  // connection closes once none is owed.
  const unanswered = new WeakMap<Socket, number>();
  const owe = (socket: Socket, response: ServerResponse) => {
    unanswered.set(socket, (unanswered.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const owed = (unanswered.get(socket) ?? 1) - 1;
      unanswered.set(socket, owed);
      if (owed === 0 && refusing.has(socket)) lingerThenClose(socket, lingerBudget);
    });
  };
  const bounded = (answer: RequestListener) => (request: IncomingMessage, response: ServerResponse) => {
    const { socket } = request;
    if (refusing.has(socket)) return;
    if (request.httpVersion === "1.1" && request.headers.host === undefined) {
      // Node answers this 400 itself when requireHostHeader is on, without a 'request' event and parsing on through
      // the read (~3,600 Host-less requests in 64 KB, uncounted): here it is the connection's last request parsed.
      onRefused?.("missing_host");
      owe(socket, response);
      answerAndClose(response, 400, "An HTTP/1.1 request needs a Host header.");
      refuse(socket);
      return;
    }
    if (request.headers["transfer-encoding"] !== undefined) {
      onRefused?.("transfer_encoding");
      owe(socket, response);
      answerAndClose(response, 411, "Send the request body with a Content-Length: Transfer-Encoding (a chunked body) is not accepted.");
      refuse(socket);
      return;
    }
    const depth = (unanswered.get(socket) ?? 0) + 1;
    if (maxPipelined > 0 && depth > maxPipelined) {
      onRefused?.("pipelining");
      refuse(socket);
      return;
    }
    // 'close': once answered (a pipelined request's queued response closes only then) or its connection gone.
    owe(socket, response);
    // A body longer than any the gateway reads, answered before it is read (a 404 on a path no route serves, a 429, a
    // GET's 200): on a kept-alive connection Node reads and drops the whole declared body, at the client's speed until
    // requestTimeout (a review: 14 GB read in 16 s from one connection, 21 s of CPU, no rate limit on a 404). Its answer
    // closes the connection instead, and the connection lingers within the bounds below.
    if (maxBodyBytes !== undefined && Number(request.headers["content-length"]) > maxBodyBytes) response.shouldKeepAlive = false;
    // An answer that closes its connection before the request's body is in (a 413 over MAX_BODY_BYTES, fastify's
    // `connection: close`): Node destroyed the socket once the answer was written, the unread body still arriving, and
    // a client that writes its whole body before it reads (Python's http.client, `requests`) got a reset, never the 413
    // (BrokenPipeError 4 of 6 with 1 MB, always with 8 MB). Refused instead, the connection closes lingering.
    // 'prefinish': before Node's own 'finish' listener calls destroySoon.
    response.once("prefinish", () => {
      if (!request.complete && closesConnection(response) && hooked.has(socket)) refuse(socket);
    });
    answer(request, response);
  };
  const server = createServer({ ...options, requireHostHeader: false }, bounded(handler));
  // A request whose Expect is not 100-continue: without a listener, Node answers it 417 itself and never emits 'request',
  // so it escaped the bound (116,000 such answers a second pipelined from one address). Answered 417 here, counted like any.
  // GraphQL-shaped like every transport refusal (it was an empty body: no extensions.code for a client to read).
  server.on("checkExpectation", bounded((_request, response) => {
    const body = JSON.stringify({ errors: [{ message: "Only the expectation 100-continue is served: send the request without this Expect header.", extensions: { code: "BAD_REQUEST", retryable: false } }] });
    response.writeHead(417, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    response.end(body);
  }));
  // Node keeps only the first maxHeadersCount (default 2,000 entries: 1,000 headers) in request.headers, while llhttp
  // frames the body from every header: a Transfer-Encoding after 1,000 others went unseen (a chunked body parsed, 200).
  // 0 = no count limit; the headers stay bounded by maxHeaderSize (16 KB, 431 past it), so every one is seen.
  server.maxHeadersCount = 0;
  // Each connection's parser gets the hook as the connection opens (after node's own listener gave it one).
  const hook = stopAfterHeaders;
  const hooked = new WeakSet<Socket>();
  server.on("connection", (socket: Socket) => {
    if (hook(socket)) hooked.add(socket);
    else if (!notHookedSaid) {
      notHookedSaid = true;
      bounds.onParserNotHooked?.();
    }
  });
  const refuse = (socket: Socket) => {
    refusing.add(socket);
    // Node closes a connection whose last answer is sent with destroySoon (end, then destroy once written): lingered instead.
    (socket as Socket & { destroySoon?: () => void }).destroySoon = () => lingerThenClose(socket, lingerBudget);
    // Without the parser hook (a Node whose internals differ), no further read: the current one is parsed to its end.
    if (!hooked.has(socket)) socket.destroy();
  };
  // The parser's stop reaches Node as a client error on a refused connection: closed here alone (fastify's handler
  // would write a 400 after the answer, and destroy the socket with the client's body unread).
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    const socket = args[1] as Socket | undefined;
    if (event === "clientError" && socket !== undefined && refusing.has(socket)) {
      // Closed at once, the answers owed before the refusal (fastify answers a tick later) and the refusal's own,
      // queued behind them, were never written (a review: 5 of 5 pipelined pairs got neither): the last one's 'close'
      // closes it (owe), or this deadline.
      if ((unanswered.get(socket) ?? 0) === 0) lingerThenClose(socket, lingerBudget);
      else if (!AWAITING_ANSWERS.has(socket)) {
        AWAITING_ANSWERS.add(socket);
        const deadline = setTimeout(() => socket.destroy(), ANSWERS_MS);
        socket.once("close", () => clearTimeout(deadline));
      }
      return true;
    }
    return emit(event, ...args);
  }) as Server["emit"];
  return server;
}

/**
 * A refusal in the shape of every transport refusal (transport-errors.ts): GraphQL errors with Apollo's
 * BAD_REQUEST and `retryable: false`, the HTTP status saying which; the connection closes after it.
 */
function answerAndClose(response: ServerResponse, status: 400 | 411, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: "BAD_REQUEST", retryable: false } }] });
  response.shouldKeepAlive = false;
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), connection: "close" });
  response.end(body);
}

/**
 * Whether Node closes the connection once this answer is sent: the client's `connection: close`, or the answer's
 * (Node's `_last`, set as the head is written: a `connection` header given to writeHead, as fastify does, is not
 * visible through getHeader).
 */
function closesConnection(response: ServerResponse): boolean {
  return !response.shouldKeepAlive || (response as ServerResponse & { _last?: boolean })._last === true;
}

/** How long a refused connection waits, at most, for the answers owed on it to be sent before it closes. */
const ANSWERS_MS = 5_000;
const AWAITING_ANSWERS = new WeakSet<Socket>();

/** Connections refused, for the whole process: a pooled parser's wrapper looks its socket up here, whichever server it serves. */
const REFUSING = new WeakSet<Socket>();
/** Parsers wrapped, for the whole process: a wrapper per server stacked one more layer on each pooled parser per server created. */
const WRAPPED = new WeakSet<object>();

/**
 * Node's HTTP parser parses every byte of a socket read (up to 64 KB) before it returns: pausing it,
 * or destroying the socket, from a request's 'request' event stops only the reads after. What stops
 * it at once is its headers-complete callback answering -1 (llhttp's HPE_CB_HEADERS_COMPLETE, a
 * client error): the callback is looked up on the parser object at each call, so it is wrapped, once
 * per parser, when a connection opens (parsers are pooled, and shared with HTTP clients: the wrapper
 * acts only for sockets in `refusing`, looked up through the parser's current socket). The request
 * refused in its own 'request' event (inside that callback) is the last one parsed: not one byte of
 * its body, nor any request pipelined after it. Returns whether the socket's parser has the wrapper.
 */
function stopAfterHeaders(socket: Socket): boolean {
  const refusing = REFUSING;
  const wrapped = WRAPPED;
  const callback = parserCallback(socket, "kOnHeadersComplete");
  if (callback === undefined) return false;
  const { parser, key, original } = callback;
  if (wrapped.has(parser)) return true;
  parser[key] = function headersComplete(this: ParserInternals, ...args: unknown[]): unknown {
    const current = this.socket;
    if (current != null && refusing.has(current)) return -1;
    const answer = original.apply(this, args);
    return current != null && refusing.has(current) ? -1 : answer;
  };
  wrapped.add(parser);
  return true;
}

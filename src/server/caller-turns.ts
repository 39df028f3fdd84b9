import type { FastifyInstance, FastifyRequest } from "fastify";
import { callerKeyOf } from "./caller-key.js";
import { createCallerTurns, type CallerTurns, type CallerTurnsOptions } from "./caller-turn-scheduler.js";

/**
 * MAX_PARSING_PER_CALLER: each turn of the event loop, the gateway parses (and runs up to its first
 * wait on I/O) at most this many JSON request bodies of one caller; the caller's further bodies
 * wait, already received, for its next turn. Nothing is refused until a caller has `maxWaiting`
 * bodies waiting or `maxWaitingSize` characters of them (then HTTP 429 RATE_LIMITED, retry after a
 * second): without a bound, pipelined requests, which write nothing while they wait, could queue
 * without end, each holding its body and ~4 KB of request objects.
 *
 * Why: a caller's whole burst allowance (RATE_LIMIT_CALLER_BURST) may arrive in one poll of the
 * event loop, each request among the most expensive to refuse (a 64 KB body of 31,000 list items or
 * thousands of keys: 1–5 ms of JSON parsing each on a slow host). Node runs every ready request to
 * its answer, or to its first wait on I/O, before it polls its sockets again, so another caller's
 * request waited behind the whole burst (measured: the event loop held 16–78 ms per burst of 40;
 * taken 4 per turn, 8–17 ms).
 *
 * What a turn covers: the body has fully arrived (a slow upload holds nothing: it is fastify's to
 * time out), then its parse and everything that follows without waiting on I/O — Apollo's parse,
 * validation, bounds checks, execution up to AWS or Redis — all before the loop's check phase, where
 * the turn is given back (setImmediate). It is given back unconditionally there, whatever becomes of
 * the request, so no path can keep it. A freed turn goes to the caller's oldest waiting body one
 * turn of the loop later, after the loop has polled I/O again: a caller never runs more than
 * `maxParsing` bodies between two polls.
 *
 * A turn also has a time budget (turnBudgetMs, 5 ms in the gateway: callerTurnBounds): once the
 * bodies a caller started in one turn have run that long, its next bodies keep their turns but start
 * only after the loop has polled again. Cheap bodies still go maxParsing at a time; a costly valid
 * one (an introspection document: ~10 ms of execution and serialization of a 162 KB answer, in its
 * turn) goes alone — four of them held the loop 40–100 ms per turn.
 *
 * createCallerTurns is the scheduler; registerCallerTurns runs fastify's own JSON parser in it, and
 * takes a turn for each GraphQL GET before its handler: a GET carries its operation and variables in
 * the query string (up to Node's 16 KB header limit), which costs up to ~1.5 ms to refuse on a slow
 * host (measured: 4,000-item variable lists, hundreds of keys), so a burst of GETs would otherwise
 * hold the loop as a burst of bodies did. Work a request does after a wait on I/O (a persisted query
 * read from Redis) is not taken in turns.
 */
export { callerTurnBounds, createCallerTurns, RequestGoneError } from "./caller-turn-scheduler.js";
export type { CallerTurns, CallerTurnsOptions, TurnState, TurnTask } from "./caller-turn-scheduler.js";

/** Thrown to fastify's error handler (transport-errors.ts answers it 429 RATE_LIMITED). */
export class CallerQueueFullError extends Error {
  readonly code = "IDC_CALLER_QUEUE_FULL";
  readonly statusCode = 429;
  constructor() {
    super("Too many of this caller's requests are waiting to be read; retry after a second.");
  }
}

type Done = (error: Error | null, body?: unknown) => void;
type JsonParser = (request: FastifyRequest, body: string, done: Done) => void;

export interface RegisterCallerTurnsOptions extends CallerTurnsOptions {
  /** GET requests that take a turn before their handler (the gateway: GET /graphql); none when absent. */
  getTakesTurn?: (request: FastifyRequest) => boolean;
  onQueued?: () => void;
  onRefused?: () => void;
  /** IPV6_CALLER_PREFIX_LENGTH (caller-key.ts). */
  ipv6PrefixLength?: number;
}

/**
 * Replaces fastify's application/json parser with the same parser (secure-json-parse, prototype
 * and constructor poisoning refused: fastify's defaults) run in its caller's turns (the key: the
 * rate limits' caller-key.ts), and runs the GET requests `getTakesTurn` picks in the same turns
 * (their query string counted as their size). `onQueued` / `onRefused` count requests that waited /
 * were refused.
 */
export function registerCallerTurns(app: FastifyInstance, options: RegisterCallerTurnsOptions): CallerTurns {
  const turns = createCallerTurns(options);
  const takeTurn = (request: FastifyRequest, size: number, work: () => void, done: (error: Error) => void) => {
    const outcome = turns.run(callerKeyOf(request, options.ipv6PrefixLength), {
      size,
      work,
      fail: (error) => done(error instanceof Error ? error : new Error(String(error))),
      gone: () => request.raw.socket?.destroyed === true,
    });
    if (outcome === "queued") options.onQueued?.();
    else if (outcome === "refused") {
      options.onRefused?.();
      done(new CallerQueueFullError());
    }
  };
  const parseJson = app.getDefaultJsonParser("error", "error") as unknown as JsonParser;
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    takeTurn(request, (body as string).length, () => parseJson(request, body as string, done), done);
  });
  const { getTakesTurn } = options;
  if (getTakesTurn) {
    // preValidation: after the rate limit (onRequest); a GET has no body, so no parser took a turn for it.
    app.addHook("preValidation", (request, _reply, done) => {
      if (request.method !== "GET" || !getTakesTurn(request)) return done();
      takeTurn(request, request.url.length, () => done(), done);
    });
  }
  return turns;
}

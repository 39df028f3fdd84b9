import type { FastifyInstance, FastifyRequest } from "fastify";
import { callerKeyOf } from "./caller-key.js";
import type { CallerNetworks } from "./caller-networks.js";

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
 * createCallerTurns is the scheduler; registerCallerTurns runs fastify's own JSON parser in it, and
 * takes a turn for each GraphQL GET before its handler: a GET carries its operation and variables in
 * the query string (up to Node's 16 KB header limit), which costs up to ~1.5 ms to refuse on a slow
 * host (measured: 4,000-item variable lists, hundreds of keys), so a burst of GETs would otherwise
 * hold the loop as a burst of bodies did. Work a request does after a wait on I/O (a persisted query
 * read from Redis) is not taken in turns.
 */
export interface CallerTurnsOptions {
  maxParsing: number;
  /** Bodies of one caller that may wait; one more is refused (429). */
  maxWaiting: number;
  /** Their total size (characters); a body that would pass it is refused (429). */
  maxWaitingSize: number;
}

/**
 * The bounds MAX_PARSING_PER_CALLER sets: per turn, 256 bodies may wait (1,024 at the default: a
 * burst far past any caller allowance) and 16 full-size bodies' worth of characters (4 MiB at the
 * defaults): at most ~8 MiB of heap per caller.
 */
export function callerTurnBounds(maxParsing: number, maxBodyBytes: number): CallerTurnsOptions {
  return { maxParsing, maxWaiting: 256 * maxParsing, maxWaitingSize: 16 * maxParsing * maxBodyBytes };
}

/** One request body's work: run now or in a later turn, unless its request is gone by then. */
export interface TurnTask {
  /** The body's size (characters), counted against maxWaitingSize while it waits. */
  size: number;
  /** Parses the body and carries the request on (fastify's JSON parser and its `done`). */
  work(): void;
  /** Called instead of `work` when its request is gone, or when `work` throws after waiting (outside fastify's own try). */
  fail(error: unknown): void;
  /** The request's connection closed while it waited: not parsed, answered `fail(RequestGoneError)`, its turn passed on. */
  gone(): boolean;
}

export interface CallerTurns {
  /** Runs the task now if its caller has a turn free this turn of the loop, queues it, or refuses it (maxWaiting already waiting). */
  run(key: string, task: TurnTask): "ran" | "queued" | "refused";
  /** The caller's turns taken (this turn of the loop, or handed to a waiting body), bodies waiting and their size (tests, debugging). */
  state(key: string): { parsing: number; waiting: number; waitingSize: number };
}

interface Caller {
  parsing: number;
  waiting: TurnTask[];
  waitingSize: number;
}

export function createCallerTurns(options: CallerTurnsOptions): CallerTurns {
  const { maxParsing, maxWaiting, maxWaitingSize } = options;
  for (const [name, value] of [["maxParsing", maxParsing], ["maxWaiting", maxWaiting], ["maxWaitingSize", maxWaitingSize]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`createCallerTurns: ${name} must be a positive integer (got ${value})`);
  }
  const callers = new Map<string, Caller>();

  // Runs at the loop's check phase after the task ran: what it did without waiting on I/O is done.
  const giveBack = (key: string, caller: Caller) => {
    if (caller.waiting.length > 0) {
      // The turn stays taken and passes to the oldest waiting body at the next check phase, after
      // the loop has polled its sockets again.
      setImmediate(admitNext, key, caller);
      return;
    }
    caller.parsing -= 1;
    if (caller.parsing === 0) callers.delete(key);
  };

  const dequeue = (caller: Caller) => {
    const next = caller.waiting.shift();
    if (next !== undefined) caller.waitingSize -= next.size;
    return next;
  };

  const admitNext = (key: string, caller: Caller) => {
    let next = dequeue(caller);
    while (next !== undefined && next.gone()) {
      // Answered all the same (to no one): a pipelined request's queued response closes only once it is
      // answered, and the shutdown drain counts the request until then.
      next.fail(new RequestGoneError());
      next = dequeue(caller);
    }
    if (next === undefined) {
      giveBack(key, caller);
      return;
    }
    // Scheduled first: whatever the task does, the turn comes back.
    setImmediate(giveBack, key, caller);
    try {
      next.work();
    } catch (error) {
      next.fail(error);
    }
  };

  return {
    run(key, task) {
      let caller = callers.get(key);
      if (caller === undefined) {
        caller = { parsing: 0, waiting: [], waitingSize: 0 };
        callers.set(key, caller);
      }
      if (caller.parsing < maxParsing) {
        caller.parsing += 1;
        // Scheduled first: a task that throws (to fastify, which answers it) still gives the turn back.
        setImmediate(giveBack, key, caller);
        task.work();
        return "ran";
      }
      if (caller.waiting.length >= maxWaiting || caller.waitingSize + task.size > maxWaitingSize) return "refused";
      caller.waiting.push(task);
      caller.waitingSize += task.size;
      return "queued";
    },
    state(key) {
      const caller = callers.get(key);
      return { parsing: caller?.parsing ?? 0, waiting: caller?.waiting.length ?? 0, waitingSize: caller?.waitingSize ?? 0 };
    },
  };
}

/** A waiting body whose connection closed: not parsed; fastify answers it 400 to a closed socket. */
export class RequestGoneError extends Error {
  readonly code = "IDC_REQUEST_GONE";
  readonly statusCode = 400;
  constructor() {
    super("The connection closed while the request waited for its turn.");
  }
}

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
  /** IPV6_NETWORK_* (caller-networks.ts): an IPv6 caller takes its network's turns, `callers` times a caller's. */
  networks?: CallerNetworks | undefined;
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
  const { networks } = options;
  // The callers of one IPv6 network share one key's turns, IPV6_NETWORK_CALLERS times as many: 256
  // callers of a /48 with 4 turns each were 1,024 bodies parsed between two polls of the sockets. Not
  // a turn of the caller's own inside its network's: each caller's request rate limit (onRequest,
  // before any body is read) already bounds what it puts in its network's queue.
  const networkTurns = networks && createCallerTurns({
    maxParsing: options.maxParsing * networks.callers,
    maxWaiting: options.maxWaiting * networks.callers,
    maxWaitingSize: options.maxWaitingSize * networks.callers,
  });
  const turnsOf = (key: string): [CallerTurns, string] => {
    const network = networks?.networkOf(key);
    return network === undefined || networkTurns === undefined ? [turns, key] : [networkTurns, network];
  };
  const callersTurns: CallerTurns = {
    run: (key, task) => {
      const [scheduler, schedulerKey] = turnsOf(key);
      return scheduler.run(schedulerKey, task);
    },
    state: (key) => {
      const [scheduler, schedulerKey] = turnsOf(key);
      return scheduler.state(schedulerKey);
    },
  };
  const takeTurn = (request: FastifyRequest, size: number, work: () => void, done: (error: Error) => void) => {
    const outcome = callersTurns.run(callerKeyOf(request, options.ipv6PrefixLength), {
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
  return callersTurns;
}

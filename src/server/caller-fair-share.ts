import type { FastifyInstance, FastifyRequest } from "fastify";
import { callerKey } from "./caller-key.js";

/**
 * MAX_READING_PER_CALLER: the gateway reads and checks at most this many GraphQL requests of one
 * caller at once; the caller's further requests wait their turn with their bodies unread. Nothing
 * is refused: one caller's requests are only taken in turns.
 *
 * Why: a caller's whole burst allowance (RATE_LIMIT_CALLER_BURST) may arrive in one poll of the
 * event loop, each request among the most expensive to refuse (a 64 KB body of 31,000 list items or
 * thousands of keys: 1–5 ms of JSON parsing each on a slow host). Node runs every ready socket's
 * request to its answer before polling again, so another caller's request waited behind the whole
 * burst (measured: the event loop held 27–64 ms per burst of 40; with 4 at a time, 8–12 ms).
 *
 * A turn: the slot is taken when the request's headers are in (before its body is read) and given
 * back one turn of the event loop after its body was parsed (fastify's preHandler), when it has
 * either been answered or is waiting on I/O (AWS, Redis): what costs CPU is behind it, and a request
 * waiting seconds on AWS holds no slot (callers behind one NAT address are not held up by it). A
 * request answered before that (a refusal of its body, 413, a closed connection) gives its slot
 * back one turn after it ends. Given back only after the loop has polled I/O again, so a burst
 * whose bodies all arrived in one poll is taken `maxReading` per turn, others' requests in between.
 *
 * Runs after the caller rate limit (registered after it): a request over the allowance is refused
 * at once, never queued. A waiting request holds a connection the per-address cap counts and what
 * Node buffered of its body (its socket is paused past the stream's high-water mark); the server's
 * requestTimeout bounds how long its body may take.
 */
export interface CallerFairShare {
  /** The caller's requests holding a slot and waiting for one (tests, debugging). */
  state(ip: string): { reading: number; waiting: number };
}

interface CallerTurns {
  reading: number;
  waiting: Array<() => void>;
}

export function registerCallerFairShare(
  app: FastifyInstance,
  options: { maxReading: number; applies: (request: FastifyRequest) => boolean; onQueued?: () => void },
): CallerFairShare {
  const { maxReading, applies, onQueued } = options;
  if (!Number.isSafeInteger(maxReading) || maxReading < 1) throw new TypeError(`registerCallerFairShare: maxReading must be a positive integer (got ${maxReading})`);
  const callers = new Map<string, CallerTurns>();
  /** Gives a request's slot back (once), for the preHandler hook. */
  const slots = new WeakMap<FastifyRequest, () => void>();

  const passOn = (key: string, turns: CallerTurns) => {
    const next = turns.waiting.shift();
    if (next !== undefined) {
      next();
      return;
    }
    turns.reading -= 1;
    if (turns.reading === 0) callers.delete(key);
  };

  app.addHook("onRequest", async (request, reply) => {
    if (!applies(request)) return;
    const key = callerKey(request.ip);
    let turns = callers.get(key);
    if (turns === undefined) {
      turns = { reading: 0, waiting: [] };
      callers.set(key, turns);
    }
    const held = turns;
    let state: "waiting" | "reading" | "done" = "waiting";
    let admit: (() => void) | undefined;
    const giveBack = () => {
      if (state !== "reading") return;
      state = "done";
      setImmediate(passOn, key, held);
    };
    slots.set(request, giveBack);
    // 'close' comes once the response ends or the connection closes, whichever is first.
    reply.raw.once("close", () => {
      if (state === "waiting" && admit !== undefined) {
        // Gone while waiting: it leaves the line.
        held.waiting.splice(held.waiting.indexOf(admit), 1);
        state = "done";
      }
      giveBack();
    });
    if (held.reading < maxReading) {
      held.reading += 1;
      state = "reading";
      return;
    }
    onQueued?.();
    await new Promise<void>((resolve) => {
      admit = () => {
        state = "reading";
        resolve();
      };
      held.waiting.push(admit);
    });
  });

  // The body is parsed: everything up to the answer or the first wait on I/O runs before the loop's next turn.
  app.addHook("preHandler", async (request) => {
    slots.get(request)?.();
  });

  return {
    state(ip) {
      const turns = callers.get(callerKey(ip));
      return { reading: turns?.reading ?? 0, waiting: turns?.waiting.length ?? 0 };
    },
  };
}

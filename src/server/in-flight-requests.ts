import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * Counts requests in flight (those `counts(request)` selects), so a shutdown can wait for them
 * while the server still listens (and /readyz answers 503). A request leaves the count when its
 * response finishes or its connection closes, whichever comes first; once only.
 */
export interface InFlightRequests {
  readonly count: number;
  /** Resolves when no counted request is in flight. */
  idle(): Promise<void>;
}

export function trackInFlightRequests(app: FastifyInstance, counts: (request: FastifyRequest) => boolean): InFlightRequests {
  let count = 0;
  let waiters: Array<() => void> = [];
  app.addHook("onRequest", async (request, reply) => {
    if (!counts(request)) return;
    count += 1;
    reply.raw.once("close", () => {
      count -= 1;
      if (count === 0) {
        const ready = waiters;
        waiters = [];
        ready.forEach((resolve) => resolve());
      }
    });
  });
  return {
    get count() {
      return count;
    },
    idle: () => (count === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

import type { FastifyInstance, FastifyRequest } from "fastify";
import type { GatewayMetrics } from "../../metrics/metrics.js";

/**
 * Line breaks a document may hold, per MAX_TOKENS (2,000 at the default): twice as many as tokens,
 * enough for a document of MAX_TOKENS tokens written one per line with as many comment or blank
 * lines. Each error graphql-js reports carries its line and column, found by scanning the document
 * from its start up to the error (getLocation), so the cost of answering grew with errors × line
 * breaks: 31,000 blank lines before 100 unknown fields cost 170 ms of CPU to refuse.
 */
export const MAX_LINE_BREAKS_PER_TOKEN = 2;

/** Whether `source` has more than `max` line breaks (\r\n, \n or \r, as graphql-js counts lines); stops at max + 1. */
export function hasMoreLineBreaksThan(source: string, max: number): boolean {
  let count = 0;
  for (let at = source.indexOf("\n"); at >= 0; at = source.indexOf("\n", at + 1)) if (++count > max) return true;
  // A lone \r (not followed by \n) breaks a line too.
  for (let at = source.indexOf("\r"); at >= 0; at = source.indexOf("\r", at + 1)) if (source.charCodeAt(at + 1) !== 10 && ++count > max) return true;
  return false;
}

/**
 * Refuses, before Apollo parses it (and before its document cache is asked), a GraphQL request whose
 * document (`query` of a POST body or of a GET query string) has more than
 * MAX_LINE_BREAKS_PER_TOKEN × MAX_TOKENS line breaks: HTTP 400 GRAPHQL_PARSE_FAILED naming the
 * limit, as graphql-js' own MAX_TOKENS refusal, counted in `rejections{reason="max_tokens"}`. At
 * fastify's preHandler, since Apollo answers an error raised before its parse as its own fault (500);
 * that is after the caller rate limit and inside the caller's turn (caller-turns.ts). A persisted
 * query sent by hash alone is read from the store later: it was checked when it was registered.
 */
export function registerLineBreakLimit(app: FastifyInstance, options: { maxTokens: number; applies: (request: FastifyRequest) => boolean; metrics: GatewayMetrics | undefined }): void {
  const { applies, metrics } = options;
  const maxLineBreaks = MAX_LINE_BREAKS_PER_TOKEN * options.maxTokens;
  const message = `Syntax Error: Document has more than ${maxLineBreaks} line breaks. Parsing aborted. (${MAX_LINE_BREAKS_PER_TOKEN} × MAX_TOKENS)`;
  // A callback hook, not an async one: every GraphQL request passes here, and nearly all pass on.
  app.addHook("preHandler", (request, reply, done) => {
    const query = applies(request) ? documentOf(request) : undefined;
    if (query === undefined || !hasMoreLineBreaksThan(query, maxLineBreaks)) return done();
    metrics?.rejections.inc({ reason: "max_tokens" });
    reply.code(400).send({ errors: [{ message, extensions: { code: "GRAPHQL_PARSE_FAILED" } }] });
  });
}

/** The document a GraphQL request carries: `query` of its JSON body (POST) or of its query string (GET), when a string. */
function documentOf(request: FastifyRequest): string | undefined {
  const carrier = request.method === "GET" ? request.query : request.body;
  const query = typeof carrier === "object" && carrier !== null ? (carrier as { query?: unknown }).query : undefined;
  return typeof query === "string" ? query : undefined;
}

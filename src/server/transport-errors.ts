import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import type { GatewayMetrics } from "../metrics/metrics.js";

/**
 * Requests fastify refuses before GraphQL sees them get a GraphQL-shaped JSON error, so a client
 * reads `errors[0].extensions.code` whatever went wrong, never fastify's internal `FST_ERR_*` codes:
 * - a body over MAX_BODY_BYTES (fastify's `bodyLimit`): HTTP 413, PAYLOAD_TOO_LARGE naming the limit,
 *   counted in `rejections{reason="body_too_large"}`;
 * - an unsupported content type, an empty or unparsable JSON body, a malformed URL: their 4xx
 *   status with Apollo's BAD_REQUEST (what Apollo answers for other malformed HTTP requests) and a
 *   fixed message of ours: fastify's own messages may echo the URL, which is the caller's input.
 * - a body refused because its caller already has too many waiting for their turn
 *   (caller-turns.ts): HTTP 429 RATE_LIMITED with Retry-After, like the caller rate limit.
 * Anything else (a 5xx) keeps fastify's default handling.
 */
const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "Unsupported content type: send the operation as application/json (or as a GET query string).",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "The request's Content-Length does not match its body.",
  FST_ERR_CTP_EMPTY_JSON_BODY: "The request body is empty but its content type is application/json.",
  FST_ERR_CTP_INVALID_JSON_BODY: "The request body is not valid JSON.",
  FST_ERR_BAD_URL: "The request URL is malformed.",
};

export function registerTransportErrorHandler(app: FastifyInstance, options: { maxBodyBytes: number; metrics: GatewayMetrics | undefined }): void {
  const { maxBodyBytes, metrics } = options;
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      metrics?.rejections.inc({ reason: "body_too_large" });
      return reply.code(413).send({
        errors: [{ message: `Request body is larger than ${maxBodyBytes} bytes (MAX_BODY_BYTES).`, extensions: { code: "PAYLOAD_TOO_LARGE", retryable: false } }],
      });
    }
    if (error.code === "IDC_CALLER_QUEUE_FULL") {
      return reply.code(429).header("retry-after", "1")
        .send({ errors: [{ message: error.message, extensions: { code: "RATE_LIMITED", retryable: true, retryAfterSeconds: 1 } }] });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(badRequest(error.code));
    throw error;
  });
}

/** fastify's `frameworkErrors` hook: errors raised before routing (a malformed URL), answered like the rest. */
export function answerFrameworkError(error: FastifyError, reply: FastifyReply): void {
  reply.code(error.statusCode ?? 400).send(badRequest(error.code));
}

function badRequest(code: string): { errors: Array<{ message: string; extensions: { code: "BAD_REQUEST"; retryable: false } }> } {
  const message = CLIENT_ERROR_MESSAGES[code] ?? "The request is malformed.";
  return { errors: [{ message, extensions: { code: "BAD_REQUEST", retryable: false } }] };
}

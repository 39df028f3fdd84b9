import type { FastifyError, FastifyInstance } from "fastify";
import type { GatewayMetrics } from "../metrics/metrics.js";

/**
 * Bodies over MAX_BODY_BYTES (fastify's `bodyLimit`) are answered HTTP 413 with a GraphQL-shaped
 * JSON error (`extensions.code` PAYLOAD_TOO_LARGE) that names the limit, and counted in
 * `rejections{reason="body_too_large"}`. Every other error keeps fastify's default answer.
 */
export function registerPayloadTooLargeHandler(app: FastifyInstance, options: { maxBodyBytes: number; metrics: GatewayMetrics | undefined }): void {
  const { maxBodyBytes, metrics } = options;
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code !== "FST_ERR_CTP_BODY_TOO_LARGE") throw error;
    metrics?.rejections.inc({ reason: "body_too_large" });
    return reply.code(413).send({
      errors: [{ message: `Request body is larger than ${maxBodyBytes} bytes (MAX_BODY_BYTES).`, extensions: { code: "PAYLOAD_TOO_LARGE", retryable: false } }],
    });
  });
}

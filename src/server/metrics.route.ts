import type { FastifyInstance } from "fastify";
import type { GatewayMetrics } from "../metrics/metrics.js";

/** `GET /metrics`: the process's Prometheus registry in the text exposition format. */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get("/metrics", async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.header("content-type", metrics.registry.contentType).send(body);
  });
}

import type { FastifyInstance } from "fastify";

/** What main.ts reports about the gateway's dependencies (upstream, store). */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}
export type ReadinessCheck = () => Promise<ReadinessReport>;

/**
 * Readiness (`GET /readyz`): 200 when the gateway should get traffic, 503 when not, with the
 * checks as JSON. During a shutdown it answers 503 first, so load balancers stop sending
 * requests while in-flight ones finish. A check that throws counts as not ready.
 */
export function registerReadinessRoute(app: FastifyInstance, options: { isDraining: () => boolean; readiness: ReadinessCheck | undefined }): void {
  const { isDraining, readiness } = options;
  app.get("/readyz", async (_request, reply) => {
    if (isDraining()) return reply.code(503).send({ status: "draining", checks: {} });
    let report: ReadinessReport;
    try {
      report = readiness === undefined ? { ready: true, checks: {} } : await readiness();
    } catch (error) {
      report = { ready: false, checks: { readiness: { ok: false, detail: `check failed: ${error instanceof Error ? error.message : String(error)}` } } };
    }
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? "ready" : "not ready", checks: report.checks });
  });
}

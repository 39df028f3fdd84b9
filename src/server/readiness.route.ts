import type { FastifyInstance } from "fastify";

/** What main.ts reports about the gateway's dependencies (upstream, store). */
export interface ReadinessReport {
  ready: boolean;
  /** Ready, but a dependency serves in a reduced mode (Redis unreachable: process memory, not shared). */
  degraded?: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}
export type ReadinessCheck = () => Promise<ReadinessReport>;

/**
 * Readiness (`GET /readyz`): 200 when the gateway should get traffic (`status` "ready", or
 * "degraded" while it serves without a shared dependency), 503 "not ready" when not, with the
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
    const status = !report.ready ? "not ready" : report.degraded === true ? "degraded" : "ready";
    return reply.code(report.ready ? 200 : 503).send({ status, checks: report.checks });
  });
}

import type { FastifyInstance } from "fastify";

/** Liveness: the process serves HTTP. Deliberately no upstream call: AWS being slow must not restart us. */
export function registerHealthRoute(app: FastifyInstance): void {
  app.get("/healthz", async () => ({ status: "ok" }));
}

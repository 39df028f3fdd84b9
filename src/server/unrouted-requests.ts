import type { FastifyInstance } from "fastify";

/**
 * Answers, before their body is read, the requests no route of the gateway serves: a path or method
 * nothing is registered for (404, fastify's own answer), and OPTIONS on the GraphQL path when CORS is
 * off (405: no preflight to answer, and Apollo refuses the method anyway).
 *
 * Why: fastify parses a JSON body for any request that carries one, its 404 handler's included, and
 * only GraphQL requests count against the per-caller rate limit and pay their parse in caller turns'
 * bounds alone. A caller posting 60 KB bodies to `/nope` (or OPTIONS to /graphql with CORS off) had
 * them parsed at whatever rate it could send, with no rate limit at all (an attacker review measured
 * ~190 parses/s from one address, 8–10× its GraphQL allowance, another caller's p50 2.5 → 10 ms).
 */
export function refuseUnroutedRequests(app: FastifyInstance, options: { graphqlPath: string; corsPreflights: boolean }): void {
  const { graphqlPath, corsPreflights } = options;
  app.addHook("onRequest", async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined) {
      // fastify's own 404 body, naming the path without its query string: a browser sent back to a redirect URI on this
      // port (the emulator's default, localhost:4000/callback) carries its authorization code there.
      const path = request.url.split("?", 1)[0];
      return reply.code(404).send({ message: `Route ${request.method}:${path} not found`, error: "Not Found", statusCode: 404 });
    }
    if (request.method === "OPTIONS" && route === graphqlPath && !corsPreflights) {
      return reply.code(405).header("allow", "GET, POST").send({ message: "OPTIONS is not served here: CORS is off (CORS_ORIGINS)", error: "Method Not Allowed", statusCode: 405 });
    }
    return undefined;
  });
}

import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import Fastify, { type FastifyBaseLogger, LogController } from "fastify";
import { buildGatewaySchema } from "../schema/build-schema.js";
import type { GatewayContext } from "../schema/context.js";
import { createFormatError } from "./format-error.js";
import { registerHealthRoute } from "./health.route.js";
import { createRequestLoggingPlugin } from "./plugins/request-logging.plugin.js";
import { createContextFunction } from "./request-context.js";
import type { GatewayServer, GatewayServerDeps } from "./server.types.js";

export const GRAPHQL_PATH = "/graphql";

/**
 * The gateway's HTTP server: fastify with Apollo Server 5 at /graphql and GET /healthz.
 * Knows nothing about grants: every operation goes to the schema, which delegates to tokens/.
 */
export async function createGatewayServer(deps: GatewayServerDeps): Promise<GatewayServer> {
  const { config, logger } = getValidDeps(deps);
  const app = Fastify({
    loggerInstance: logger.child({ component: "http" }) as FastifyBaseLogger,
    // One line per GraphQL request comes from the request-logging plugin; fastify's own would double it.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
  });

  const apollo = new ApolloServer<GatewayContext>({
    schema: await buildGatewaySchema(),
    introspection: config.introspection,
    // Stack traces are added (outside production only) by our formatError, not by Apollo.
    includeStacktraceInErrorResponses: false,
    // "Did you mean …" suggestions reveal the schema; hide them whenever introspection is off.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    formatError: createFormatError({ exposeStacktrace: config.nodeEnv !== "production" }),
    plugins: [
      fastifyApolloDrainPlugin(app),
      createRequestLoggingPlugin(logger),
      // Apollo's landing pages load from its CDN, so offline they render blank: say nothing instead.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  registerHealthRoute(app);
  app.route({
    url: GRAPHQL_PATH,
    method: ["GET", "POST", "OPTIONS"],
    handler: fastifyApolloHandler(apollo, { context: createContextFunction(deps) }),
  });
  logger.debug({ upstream: deps.upstreamLabel }, "gateway server created");

  let closing: Promise<void> | undefined;
  return {
    async listen(port, host) {
      await app.listen({ port, host });
      const { port: boundPort } = app.server.address() as AddressInfo;
      return { url: `http://${displayHost(host)}:${boundPort}${GRAPHQL_PATH}` };
    },
    close() {
      // apollo.stop() runs the drain plugin, which closes fastify (in-flight requests finish first).
      closing ??= apollo.stop();
      return closing;
    },
  };
}

/** A host a browser or curl on this machine can use: wildcard addresses become localhost. */
function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

function getValidDeps(deps: GatewayServerDeps): GatewayServerDeps {
  const missing = (["config", "tokenService", "logger"] as const).filter((key) => deps?.[key] == null);
  if (missing.length > 0) {
    throw new TypeError(`createGatewayServer needs { config, tokenService, logger, upstreamLabel }; missing: ${missing.join(", ")}`);
  }
  if (typeof deps.tokenService.forRequest !== "function") {
    throw new TypeError("createGatewayServer: tokenService must have forRequest(): RequestTokenService");
  }
  return deps;
}

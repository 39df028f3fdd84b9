import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import Fastify, { type FastifyBaseLogger, type FastifyRequest, LogController } from "fastify";
import { buildGatewaySchema } from "../schema/build-schema.js";
import type { GatewayContext } from "../schema/context.js";
import { createFormatError } from "./format-error.js";
import { registerHealthRoute } from "./health.route.js";
import { createRequestLoggingPlugin } from "./plugins/request-logging.plugin.js";
import { createMetricsPlugin } from "./plugins/metrics.plugin.js";
import { createNoStorePlugin } from "./plugins/no-store.plugin.js";
import { createLiteralErrorFieldsPlugin } from "./plugins/literal-error-fields.plugin.js";
import { createSessionCookiePlugin } from "./plugins/session-cookie.plugin.js";
import { SESSION_CSRF_HEADER } from "./session-csrf.js";
import { createOperationLimits } from "./limits/operation-limits.js";
import { registerLineBreakLimit } from "./limits/document-line-breaks.js";
import { knownOperationTypesRule } from "./limits/known-operation-types.rule.js";
import { createOperationResolutionPlugin } from "./limits/operation-resolution.js";
import { createVariableBoundsPlugin } from "./limits/variable-bounds.js";
import { createNullVariablesPlugin } from "./limits/null-variables.js";
import { answerFrameworkError, registerTransportErrorHandler } from "./transport-errors.js";
import { answerClientError } from "./client-errors.js";
import { registerCallerRateLimit } from "./caller-rate-limit.hook.js";
import { refuseUnroutedRequests } from "./unrouted-requests.js";
import { createUndeliveredAnswersPlugin } from "./plugins/undelivered-answers.plugin.js";
import { trackInFlightRequests } from "./in-flight-requests.js";
import { callerTurnBounds, registerCallerTurns } from "./caller-turns.js";
import { callerNetworksOf } from "./caller-networks.js";
import { registerReadinessRoute } from "./readiness.route.js";
import { registerMetricsRoute, startMetricsListener, type MetricsListener } from "./metrics.route.js";
import { applyConnectionLimits, httpServerOptions } from "./connection-limits.js";
import { createGatewayHttpServer } from "./http-framing.js";
import { trustedProxyMatcher } from "./trusted-proxies.js";
import { displayHost } from "./display-host.js";
import { createPersistedQueryStore } from "./apq-store.js";
import { createContextFunction } from "./request-context.js";
import type { GatewayServer, GatewayServerDeps } from "./server.types.js";
import { createPersistedQueryCache, persistedQueriesOption, persistedQuerySlotSecret } from "./apq-cache.js";
import { createPersistedQueryRegistrants } from "./apq-registrants.js";
import { createApolloCache, createDocumentStore } from "./apollo-caches.js";
import { corsServed, registerCors } from "./cors.js";
import { createStudioOptions, forgetBlankApolloKey } from "./studio.js";
import { createCompiledExecution, MAX_COERCION_ERRORS } from "./compiled-execution.js";

export const GRAPHQL_PATH = "/graphql";

/** Validation errors answered at most: as many as variable coercion errors (compiled-execution.ts says why). */
export const VALIDATION_MAX_ERRORS = MAX_COERCION_ERRORS;

/**
 * The gateway's HTTP server: fastify with Apollo Server 5 at /graphql, GET /healthz (liveness),
 * GET /readyz (readiness, 503 while draining) and GET /metrics (when given a metrics registry).
 * Knows nothing about grants: every operation goes to the schema, which delegates to tokens/.
 */
export async function createGatewayServer(deps: GatewayServerDeps): Promise<GatewayServer> {
  const { config, logger } = getValidDeps(deps);
  const app = Fastify({
    loggerInstance: logger.child({ component: "http" }) as FastifyBaseLogger,
    // One line per GraphQL request comes from the request-logging plugin; fastify's own would double it.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // MAX_BODY_BYTES: larger bodies are refused with 413 before they are read (transport-errors.ts).
    bodyLimit: config.operationLimits.maxBodyBytes,
    // TRUST_PROXY: request.ip (the per-caller rate-limit key) from X-Forwarded-For only behind a trusted proxy.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, HEADERS_TIMEOUT_MS (connection-limits.ts); a chunked body (411),
    // HTTP/1.1 without Host (400) and pipelining past MAX_PIPELINED_REQUESTS are refused before Node's parser reads on (http-framing.ts).
    serverFactory: (handler) => createGatewayHttpServer(httpServerOptions(), handler, {
      maxPipelined: config.connections.maxPipelinedRequests, maxBodyBytes: config.operationLimits.maxBodyBytes, onRefused: (reason) => deps.metrics?.rejections.inc({ reason }),
      onParserNotHooked: () => logger.warn({ node: process.version }, "this Node's HTTP parser could not be hooked: a chunked body or a pipelining refusal closes the connection only after the rest of its current read is parsed"),
    }),
    // A malformed URL is refused before routing: answered GraphQL-shaped like every transport error.
    frameworkErrors: (error, _request, reply) => answerFrameworkError(error, reply),
    // So is a request Node's parser refuses (headers past 16 KB, too slow, not HTTP/1.x): client-errors.ts.
    clientErrorHandler: answerClientError,
  });
  const callerNetworks = callerNetworksOf(config);
  const connectionLimits = applyConnectionLimits(app.server, config.connections, config.trustProxy, config.ipv6CallerPrefixLength, callerNetworks);
  if (!connectionLimits.perAddress.enforced && config.connections.maxConnectionsPerAddress > 0) {
    logger.info({ reason: connectionLimits.perAddress.reason }, "MAX_CONNECTIONS_PER_ADDRESS is not enforced");
  }
  const { metrics } = deps;
  const isGraphQLRequest = (request: { routeOptions: { url?: string } }) => request.routeOptions.url === GRAPHQL_PATH;
  registerTransportErrorHandler(app, { maxBodyBytes: config.operationLimits.maxBodyBytes, metrics });
  // Fastify reads text/plain bodies by default, and Apollo then refused them as CSRF or "POST body missing" (400):
  // every content type but JSON is one refusal, 415, before its body is read (a first-day review).
  app.removeContentTypeParser("text/plain");
  // First: a request no route serves is answered before its body is read or counted (unrouted-requests.ts).
  refuseUnroutedRequests(app, { graphqlPath: GRAPHQL_PATH, corsPreflights: corsServed(config.cors) });
  // CORS preflights are not counted: a browser would otherwise spend two points per operation.
  const callerRateLimited = (request: FastifyRequest) => isGraphQLRequest(request) && request.method !== "OPTIONS";
  if (deps.callerRateLimit) registerCallerRateLimit(app, { rateLimit: deps.callerRateLimit, applies: callerRateLimited, ipv6PrefixLength: config.ipv6CallerPrefixLength });
  const inFlight = trackInFlightRequests(app, isGraphQLRequest);
  // MAX_PARSING_PER_CALLER: one caller's JSON bodies and GraphQL GETs run a few per turn of the event loop (caller-turns.ts).
  if (config.connections.maxParsingPerCaller > 0) {
    registerCallerTurns(app, {
      ...callerTurnBounds(config.connections.maxParsingPerCaller, config.operationLimits.maxBodyBytes),
      getTakesTurn: isGraphQLRequest,
      ipv6PrefixLength: config.ipv6CallerPrefixLength,
      networks: callerNetworks,
      ...(metrics ? { onQueued: () => metrics.callerQueued.inc(), onRefused: () => metrics.rejections.inc({ reason: "caller_queue_full" }) } : {}),
    });
  }
  // Before Apollo's parse: a document's line breaks, bounded by MAX_TOKENS (limits/document-line-breaks.ts).
  registerLineBreakLimit(app, { maxTokens: config.operationLimits.maxTokens, applies: isGraphQLRequest, metrics });
  let draining = false;

  const schema = await buildGatewaySchema();
  const limits = createOperationLimits({ limits: config.operationLimits, metrics });
  // CORS allowlist (CORS_ORIGINS), GraphOS reporting (APOLLO_*), and the offline explorer
  // (EXPLORER; Apollo's own landing pages need its CDN): cors.ts, studio.ts, explorer/.
  const sessionMode = config.sessions?.mode ?? "off";
  await registerCors(app, config.cors, { credentials: sessionMode === "cookie" });
  const studio = createStudioOptions(config.apolloReporting);
  forgetBlankApolloKey();
  // The explorer's module is loaded only when it is on (EXPLORER; off in production by default).
  const landingPage = config.explorer
    ? (await import("./explorer/index.js")).registerExplorer(app, {
      endpoint: GRAPHQL_PATH, logger, emulatorUrl: deps.emulatorUrl, defaultClientId: config.defaultClientId,
      production: config.nodeEnv === "production", emulatorAccess: config.explorerEmulatorAccess,
    })
    : ApolloServerPluginLandingPageDisabled();

  // Persisted queries: their own bounded store and budget, never the token store (apq-cache.ts, apq-store.ts).
  const persistedQueryStore = config.persistedQueries.maxEntries === 0
    ? undefined
    : deps.persistedQueryStore ?? createPersistedQueryStore({
      redisUrl: config.redisUrl, keyPrefix: config.coordination?.redisKeyPrefix ?? "", limits: config.persistedQueries, logger,
    });
  const ownsPersistedQueryStore = deps.persistedQueryStore === undefined;
  // APQ_MAX_ENTRIES_PER_CALLER: each stored document is charged to the caller registering it (apq-registrants.ts).
  const registrants = persistedQueryStore && deps.persistedQueryCallerLimit ? createPersistedQueryRegistrants() : undefined;
  const persistedQueryCache = persistedQueryStore && createPersistedQueryCache({
    store: persistedQueryStore, limits: config.persistedQueries, logger, slotSecret: persistedQuerySlotSecret(config.gatewaySecret),
    ...(registrants && deps.persistedQueryCallerLimit ? { callerBudget: { registrantsOf: registrants.registrantsOf, limit: deps.persistedQueryCallerLimit } } : {}),
    ...(metrics ? { onRegistration: (outcome) => metrics.persistedQueryRegistrations.inc({ outcome: outcome.replaceAll("-", "_") }) } : {}),
  });

  const apollo = new ApolloServer<GatewayContext>({
    // The schema, executed by graphql-jit: each document compiled once (compiled-execution.ts).
    gateway: createCompiledExecution(schema, { hideSuggestions: !config.introspection }),
    introspection: config.introspection,
    // Apollo's own caches, without lru-cache's diagnostics channel: a document may carry a grant (apollo-caches.ts).
    documentStore: createDocumentStore(),
    cache: createApolloCache<string>(),
    ...(studio.apollo ? { apollo: studio.apollo } : {}),
    // Automatic persisted queries (with Redis shared by every replica), or off when APQ_MAX_ENTRIES=0.
    persistedQueries: persistedQueriesOption(persistedQueryCache, config.persistedQueries),
    // Limits on the document, all checked before execution (limits/operation-limits.ts).
    validationRules: [...limits.validationRules, knownOperationTypesRule],
    parseOptions: limits.parseOptions,
    // Apollo's defaults, stated because the hardening depends on them: one operation per HTTP
    // request (no batch multiplying the limits above), and CSRF prevention (a POST must carry a
    // content-type a simple form cannot send, a GET a preflight-forcing header).
    allowBatchedHttpRequests: false,
    // x-idc-csrf (session mode's CSRF header) also counts as the preflight-forcing header Apollo asks of a GET.
    csrfPrevention: { requestHeaders: ["x-apollo-operation-name", "apollo-require-preflight", SESSION_CSRF_HEADER] },
    // main.ts owns SIGINT/SIGTERM (readiness first, drain, then close everything). Apollo's own
    // handlers (on unless NODE_ENV=test) would stop the server under it and re-raise the signal,
    // leaving our drain waiting until SHUTDOWN_TIMEOUT_MS.
    stopOnTerminationSignals: false,
    // Stack traces are added (outside production only) by our formatError, not by Apollo.
    includeStacktraceInErrorResponses: false,
    // "Did you mean …" suggestions reveal the schema: whenever introspection is off, graphql-js does
    // not make them (validation here, variable coercion in the executor). Apollo's own way
    // (hideSchemaDetailsFromClientErrors) let graphql-js make them and then stripped each validation
    // message with a regular expression that backtracked quadratically on a caller's string echoed in
    // it (a 62 KB argument: 67 ms of CPU), and it left coercion messages' suggestions in place.
    hideSchemaDetailsFromClientErrors: false,
    // At most VALIDATION_MAX_ERRORS validation errors (graphql-js's default: 100): each echoes part of
    // the document and costs a scan of the document up to its position (its line and column).
    validationOptions: { maxErrors: VALIDATION_MAX_ERRORS, hideSuggestions: !config.introspection },
    formatError: createFormatError(),
    plugins: [
      fastifyApolloDrainPlugin(app),
      createRequestLoggingPlugin(logger),
      limits.plugin,
      // A validation error about a value written into the document names its field (extensions.field).
      createLiteralErrorFieldsPlugin(),
      // Only the named operation runs, or none; variable sizes bounded before any coercion (limits/).
      createOperationResolutionPlugin({ metrics }),
      createVariableBoundsPlugin({ metrics }),
      // A nullable variable given null where a value is required: BAD_USER_INPUT naming it, before execution (limits/null-variables.ts).
      createNullVariablesPlugin(),
      ...(registrants ? [registrants.plugin] : []),
      // An authorization code's answer an operation with errors did not deliver is kept for the retry (undelivered-answers.plugin.ts).
      createUndeliveredAnswersPlugin(),
      // cache-control: no-store on every answer, without Apollo's per-field cache-hint hook (no-store.plugin.ts).
      ApolloServerPluginCacheControlDisabled(),
      createNoStorePlugin(),
      ...(sessionMode === "cookie" ? [createSessionCookiePlugin()] : []),
      ...(metrics ? [createMetricsPlugin({ metrics, schema })] : []),
      landingPage,
      ...studio.plugins,
    ],
  });
  await apollo.start();

  registerHealthRoute(app);
  registerReadinessRoute(app, { isDraining: () => draining, readiness: deps.readiness });
  // METRICS_PORT: /metrics on its own listener (started by listen()), not on PORT.
  if (metrics && config.metricsPort === undefined) registerMetricsRoute(app, metrics);
  app.route({
    url: GRAPHQL_PATH,
    method: ["GET", "POST", "OPTIONS"],
    handler: fastifyApolloHandler(apollo, { context: createContextFunction(deps) }),
  });
  logger.debug({ upstream: deps.upstreamLabel }, "gateway server created");

  let closing: Promise<void> | undefined;
  let metricsListener: MetricsListener | undefined;
  return {
    async listen(port, host) {
      if (metrics && config.metricsPort !== undefined) metricsListener = await startMetricsListener(metrics, config.metricsPort, host);
      await app.listen({ port, host });
      const { port: boundPort } = app.server.address() as AddressInfo;
      return { url: `http://${displayHost(host)}:${boundPort}${GRAPHQL_PATH}`, ...(metricsListener ? { metricsUrl: metricsListener.url } : {}) };
    },
    close() {
      // Readiness fails first (503) while the server still listens, so the load balancer stops
      // sending traffic; in-flight GraphQL requests finish; then apollo.stop() runs the drain
      // plugin, which closes fastify. main.ts bounds the whole with SHUTDOWN_TIMEOUT_MS.
      draining = true;
      closing ??= inFlight.idle()
        .then(() => apollo.stop())
        .then(() => Promise.all([metricsListener?.close(), ownsPersistedQueryStore ? persistedQueryStore?.close() : undefined]))
        .then(() => undefined);
      return closing;
    },
    inFlightRequests: () => inFlight.count,
  };
}

/**
 * TRUST_PROXY as fastify takes it. A hop count n becomes proxy-addr's hop rule as a function: hop 0
 * (the socket) … hop n-1 are trusted proxies, so the caller is the n-th X-Forwarded-For entry from the
 * right, the one the outermost proxy appended (fastify 5 itself turns a bare number into "trust
 * nothing"). A list goes to proxy-addr as addresses/CIDRs; `true` trusts every hop (the leftmost entry).
 */
function fastifyTrustProxy(setting: GatewayServerDeps["config"]["trustProxy"]): boolean | ((address: string, hop: number) => boolean) {
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  if (typeof setting === "boolean") return setting;
  // The list, matched by our own matcher: a hop written with a port still counts as the listed proxy (trusted-proxies.ts).
  return trustedProxyMatcher(setting) ?? false;
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

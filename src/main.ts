/**
 * `npm start`: wiring only. Config → logger → (embedded emulator) → upstream → token service →
 * server → listen → "gateway ready"; SIGINT/SIGTERM stop everything and exit 0.
 */
import "reflect-metadata";
import { getHeapStatistics } from "node:v8";
import type { GatewayConfig, UpstreamConfig } from "./config/config.types.js";
import { ConfigError, loadConfig, loadEnvFile } from "./config/index.js";
import { CONFIG_VARIABLES } from "./config/config-variables.js";
import { formatHelp, wantsHelp } from "./config/help.js";
import { describeUnknownArgument } from "./config/command-line.js";
import { describeHeapShortfall } from "./config/heap-budget.js";
import { describeListenFailure } from "./config/listen-failure.js";
import type { RunningEmulator } from "./emulator/index.js";
import { createLogger, type Logger } from "./logging/logger.js";
import { createGatewayMetrics } from "./metrics/metrics.js";
import { createRateLimits, type RateLimits } from "./ratelimit/index.js";
import { GATEWAY_VERSION } from "./schema/package-version.js";
import { callerNetworksOf } from "./server/caller-networks.js";
import { mintExampleAssertion } from "./server/example-assertion.js";
import { createGatewayServer, createReadinessCheck, type GatewayServer } from "./server/index.js";
import { heapTenants } from "./server/heap-tenants.js";
import { formatStartupBanner } from "./server/startup-banner.js";
import { createGatewayStore, type Store } from "./store/index.js";
import { carriedThroughOutage, createTokenService } from "./tokens/index.js";
import { createUpstream, stsOptionsOf, type StsUpstream, type Upstream } from "./upstream/index.js";
import { createCredentialsService } from "./credentials/index.js";
import { createCookieSessions } from "./sessions/index.js";

async function main(): Promise<void> {
  // `--help`: print every setting and exit 0 before reading the environment or starting anything.
  if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(formatHelp(CONFIG_VARIABLES, GATEWAY_VERSION));
    return;
  }
  const unknownArgument = describeUnknownArgument(process.argv.slice(2));
  if (unknownArgument) exitWithOneLine(unknownArgument);
  const envFile = loadOrExit(loadEnvFile);
  const config = loadOrExit(loadConfig);
  const logger = createLogger({ level: config.logLevel });
  if (envFile) logger.info({ file: envFile }, `read settings from ${envFile} (variables set in the environment win)`);
  if (config.gatewaySecretGenerated) {
    logger.warn("GATEWAY_SECRET is not set: generated a random one for this process; replicas will not share state (set it in production)");
  }
  if (config.gatewaySecretGenerated && config.redisUrl !== undefined) {
    logger.warn(
      "REDIS_URL is set but GATEWAY_SECRET is generated: this replica's Redis keys and sealed values are unreadable to every other replica (no shared single-flight, cache or refresh grace). Set the same GATEWAY_SECRET on every replica.",
    );
  }

  if (config.nodeEnv === "production" && config.upstream.mode === "embedded") warnEmbeddedInProduction(logger);

  // Signals are handled from here on, so a Ctrl-C during start-up also stops whatever has started.
  const running: { emulator?: RunningEmulator; upstream?: Upstream; sts?: StsUpstream; server?: GatewayServer; store?: Store; sessionStore?: Store | undefined; rateLimits?: RateLimits } = {};
  handleShutdownSignals(logger, config.shutdownTimeoutMs, async () => {
    // /readyz answers 503 at once; in-flight requests finish; then connections close.
    await running.server?.close();
    running.upstream?.destroy();
    running.sts?.destroy();
    await running.rateLimits?.close();
    await running.store?.close();
    await running.sessionStore?.close();
    await running.emulator?.stop();
  });

  const emulator = config.upstream.mode === "embedded" ? await startEmbeddedEmulator(config.upstream) : undefined;
  running.emulator = emulator;
  const upstreamOptions = {
    region: config.upstream.region,
    ...(emulator ? { endpoint: emulator.url, credentials: emulator.credentials } : {}),
    ...(config.upstream.mode === "endpoint" ? { endpoint: config.upstream.endpoint } : {}),
    timeoutMs: config.upstreamTimeoutMs,
    deadlineMs: config.upstreamDeadlineMs,
    connectTimeoutMs: config.upstreamConnectTimeoutMs,
    maxAttempts: config.upstreamMaxAttempts,
    circuitBreaker: config.circuitBreaker,
    logger,
    // In front of AWS (or a configured endpoint) the credentials are verified with STS before the first exchange.
    ...(emulator ? {} : { verifyCredentials: { stsEndpoint: config.credentials?.stsEndpoint } }),
  };
  const upstream = createUpstream(upstreamOptions);
  // The emulator's role in embedded mode: the token and credentials services must agree whether credentials are on.
  const serviceConfig = withEmbeddedRole(config, emulator);
  const credentialsOn = (serviceConfig.credentials?.allowedRoleArns.length ?? 0) > 0;
  // Once the emulator's role is known: identity contexts are kept only while credentials are on.
  const heapShortfall = describeHeapShortfall(heapTenants(serviceConfig), getHeapStatistics().heap_size_limit);
  if (heapShortfall) logger.warn(heapShortfall);
  // STS only when identity-enhanced credentials are on: the STS client is loaded then, not in every gateway's memory.
  // The embedded emulator serves it on its own port; else STS_ENDPOINT (default SSO_OIDC_ENDPOINT) or AWS's regional endpoint.
  const stsEndpoint = config.credentials?.stsEndpoint;
  const sts = credentialsOn
    ? (await import("./upstream/create-sts-upstream.js")).createStsUpstream(stsOptionsOf(upstreamOptions, emulator ? emulator.url : stsEndpoint))
    : undefined;
  running.sts = sts;
  // In front of AWS (or a configured endpoint) the credentials come from the SDK's default chain:
  // resolve it now and ask STS whose they are (at most VERIFY_DEADLINE_MS), so missing or refused
  // credentials are named in the log and on /readyz before the first exchange. Not fatal: the process starts not ready and says why. Credentials often arrive after
  // the process (a mounted secret, a role's web-identity token, instance metadata), a crash loop
  // would hide the reason behind restarts, and /readyz keeps the replica out of rotation meanwhile.
  if (!emulator) await upstream.checkCredentials();
  running.upstream = upstream;
  const metrics = createGatewayMetrics();
  const store = createGatewayStore({
    redisUrl: config.redisUrl,
    logger,
    keyPrefix: config.coordination?.redisKeyPrefix ?? "",
    ...(config.coordination ? { memory: { maxEntries: config.coordination.cacheMaxEntries, maxBytes: config.coordination.cacheMaxBytes } } : {}),
    onFailure: (cause) => metrics.storeFailures.inc({ cause }),
    carriedThroughOutage,
  });
  running.store = store;
  // REDIS_KEY_PREFIX covers the rate counters too: gateway groups sharing one Redis keep separate budgets.
  // IPv6 networks' share of every per-caller bound (IPV6_NETWORK_*): the rate limits' and the sessions' counters.
  const callerNetworks = callerNetworksOf(config);
  const rateLimits = createRateLimits({ config, redisUrl: config.redisUrl, logger, metrics, keyPrefix: `${config.coordination?.redisKeyPrefix ?? ""}idcgw:rl`, callerNetworks });
  running.rateLimits = rateLimits;
  const tokenService = createTokenService({ config: serviceConfig, upstream, logger, store, metrics, applicationRateLimit: rateLimits.application, callerUpstreamRateLimit: rateLimits.callerUpstream });
  const credentialsService = sts && createCredentialsService({ config: serviceConfig, sts, identityContexts: tokenService.identityContexts, store, logger, metrics, callerUpstreamRateLimit: rateLimits.callerUpstream, stsRateLimit: rateLimits.sts });
  const sessions = createCookieSessions({ config, logger, metrics, signInBudget: rateLimits.callerUpstream, identityContexts: tokenService.identityContexts, callerNetworks });
  running.sessionStore = sessions?.store;
  const upstreamLabel = describeUpstream(config.upstream, emulator);
  const server = await createGatewayServer({
    config, tokenService, ...(credentialsService ? { credentialsService } : {}), sessionService: sessions?.service, logger, upstreamLabel, store,
    metrics, readiness: createReadinessCheck({ upstream, store, ...(sessions ? { sessions: sessions.store } : {}), ...(sts ? { sts } : {}) }), ...(rateLimits.caller ? { callerRateLimit: rateLimits.caller } : {}),
    ...(rateLimits.persistedQueryCaller ? { persistedQueryCallerLimit: rateLimits.persistedQueryCaller } : {}),
    ...(emulator ? { emulatorUrl: emulator.url } : {}),
  });
  running.server = server;
  const { url, metricsUrl } = await server.listen(config.port, config.host).catch((error: unknown) => {
    // node's error carries the port it failed on: the metrics listener binds first, on its own port.
    const failedPort = (error as { port?: number }).port;
    const variable = config.metricsPort !== undefined && failedPort === config.metricsPort && failedPort !== config.port ? "METRICS_PORT" : "PORT";
    const line = describeListenFailure(error, { variable, port: failedPort ?? config.port, host: config.host });
    if (line) exitWithOneLine(line);
    throw error;
  });

  const mode = config.upstream.mode;
  logger.info({ url, mode, emulatorUrl: emulator?.url, ...(metricsUrl ? { metricsUrl } : {}) }, "gateway ready");
  if (config.nodeEnv !== "production") {
    const exampleAssertion = emulator ? await mintExampleAssertion(emulator.url) : undefined;
    const banner = { version: GATEWAY_VERSION, url, mode, region: config.upstream.region, upstreamLabel, sessionMode: config.sessions?.mode ?? "off" };
    process.stdout.write(formatStartupBanner(exampleAssertion === undefined ? banner : { ...banner, exampleAssertion }));
  }
}

/**
 * In embedded mode with neither DEFAULT_ROLE_ARN nor ALLOWED_ROLE_ARNS, the emulator's first role that allows sts:SetContext
 * becomes the default (and allowed) role: the README's example returns credentials with no settings.
 */
function withEmbeddedRole(config: GatewayConfig, emulator: RunningEmulator | undefined): GatewayConfig {
  // Only with no role settings at all: an operator's explicit list is never widened.
  if (emulator === undefined || config.credentials === undefined || config.credentials.allowedRoleArns.length > 0) return config;
  const role = emulator.config.roles.find((candidate) => candidate.allowSetContext);
  if (role === undefined) return config;
  return { ...config, credentials: { ...config.credentials, defaultRoleArn: role.arn, allowedRoleArns: [role.arn] } };
}

/** SIGINT/SIGTERM: stop once, exit 0 when everything closed (1 if closing failed or outlasted SHUTDOWN_TIMEOUT_MS). */
function handleShutdownSignals(logger: Logger, timeoutMs: number, stopEverything: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs }, "gateway stopping");
    setTimeout(() => {
      logger.error({ timeoutMs }, "gateway did not stop within SHUTDOWN_TIMEOUT_MS; exiting anyway");
      process.exit(1);
    }, timeoutMs).unref();
    try {
      await stopEverything();
      logger.info("gateway stopped");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "gateway did not stop cleanly");
      process.exit(1);
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) exitWithOneLine(error.message);
    throw error;
  }
}

/** The embedded emulator honours its own EMULATOR_* variables; port, host and region follow the gateway's config. */
async function startEmbeddedEmulator(upstream: Extract<UpstreamConfig, { mode: "embedded" }>): Promise<RunningEmulator> {
  // Loaded only here: a gateway in front of AWS (or another endpoint) never carries the emulator's code (~19 MB RSS).
  const [{ EmulatorConfigError }, { readEmulatorEnv }, { startEmulator }] = await Promise.all([
    import("./emulator/emulator-config.js"), import("./emulator/emulator-env.js"), import("./emulator/index.js"),
  ]);
  try {
    const emulatorEnv = readEmulatorEnv();
    return await startEmulator({ ...emulatorEnv, port: upstream.emulatorPort, host: "127.0.0.1", region: upstream.region });
  } catch (error) {
    if (error instanceof EmulatorConfigError) exitWithOneLine(error.message);
    const line = describeListenFailure(error, { variable: "EMULATOR_PORT", port: upstream.emulatorPort, host: "127.0.0.1" });
    if (line) exitWithOneLine(`${line} (the embedded emulator's port; or point the gateway at an upstream with UPSTREAM/SSO_OIDC_ENDPOINT)`);
    throw error;
  }
}

function describeUpstream(upstream: UpstreamConfig, emulator: RunningEmulator | undefined): string {
  switch (upstream.mode) {
    case "embedded":
      return `embedded SSO OIDC emulator at ${emulator?.url ?? "(not started)"}`;
    case "endpoint":
      return `SSO OIDC endpoint ${upstream.endpoint}`;
    case "aws":
      return "AWS IAM Identity Center";
  }
}

/** UPSTREAM=embedded with NODE_ENV=production: a demo. Said loudly, in the log and on stderr, so no one mistakes it for a deployment. */
const EMBEDDED_IN_PRODUCTION_WARNING =
  "NODE_ENV=production is running the embedded SSO OIDC emulator (UPSTREAM=embedded): tokens are issued by a fake Identity Center, not AWS. This is a demo, not a deployment: set UPSTREAM=aws or SSO_OIDC_ENDPOINT";

function warnEmbeddedInProduction(logger: Logger): void {
  logger.warn({ upstream: "embedded" }, EMBEDDED_IN_PRODUCTION_WARNING);
  process.stderr.write(`WARNING: ${EMBEDDED_IN_PRODUCTION_WARNING}\n`);
}

function exitWithOneLine(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

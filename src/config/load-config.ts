import { randomBytes } from "node:crypto";
import { ConfigError } from "./config-error.js";
import { refusePortClashes } from "./port-clashes.js";
import { maskUserInfo } from "./url-user-info.js";
import { refuseFamilyForgottenInGrace } from "./refresh-windows.js";
import { refusePlainHttpSessionOrigins } from "./session-origins.js";
import { describeRedisUrl } from "../store/redis-url.js";
import type { ApolloReportingConfig, CorsConfig, CredentialsConfig, GatewayConfig, CookieSessionConfig, SessionConfig, UpstreamConfig } from "./config.types.js";
import { DEFAULT_APPLICATION_ARN, DEFAULT_CREDENTIALS_MAX_DURATION_SECONDS, GATEWAY_SECRET_MIN_BYTES, VARIABLES, type VariableName } from "./config-variables.js";

/**
 * Reads, validates and types the gateway's configuration. The only place (with the emulator's
 * own config module) where `process.env` is read. Throws `ConfigError` on the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const read = <N extends VariableName>(name: N) => parseVariable(name, env);

  const nodeEnv = read("NODE_ENV") ?? "development";
  const region = read("AWS_REGION") ?? "us-east-1";
  const defaultClientId = read("DEFAULT_CLIENT_ID") ?? DEFAULT_APPLICATION_ARN;
  const secret = readGatewaySecret(read("GATEWAY_SECRET"), nodeEnv);
  const port = read("PORT") ?? 4000;
  const metricsPort = read("METRICS_PORT");
  const upstream = resolveUpstream(read("SSO_OIDC_ENDPOINT"), read("UPSTREAM"), nodeEnv, region, read("EMULATOR_PORT") ?? 4001);
  refusePortClashes({ port, metricsPort, emulatorPort: upstream.mode === "embedded" ? upstream.emulatorPort : undefined });
  const refreshGraceSeconds = read("REFRESH_GRACE_SECONDS") ?? 30;
  const refreshReuseDetection = read("REFRESH_REUSE_DETECTION") ?? true;
  const refreshFamilyTtlSeconds = read("REFRESH_FAMILY_TTL_SECONDS") ?? 2_592_000;
  refuseFamilyForgottenInGrace({ graceSeconds: refreshGraceSeconds, familyTtlSeconds: refreshFamilyTtlSeconds, reuseDetection: refreshReuseDetection });

  return {
    port,
    host: read("HOST") ?? "0.0.0.0",
    nodeEnv,
    logLevel: read("LOG_LEVEL") ?? "info",
    upstream,
    upstreamTimeoutMs: read("UPSTREAM_TIMEOUT_MS") ?? 5000,
    upstreamConnectTimeoutMs: read("UPSTREAM_CONNECT_TIMEOUT_MS") ?? 2000,
    upstreamMaxAttempts: read("UPSTREAM_MAX_ATTEMPTS") ?? 3,
    upstreamDeadlineMs: read("UPSTREAM_DEADLINE_MS") ?? 10_000,
    circuitBreaker: { threshold: read("CIRCUIT_BREAKER_THRESHOLD") ?? 5, cooldownMs: read("CIRCUIT_BREAKER_COOLDOWN_MS") ?? 10_000 },
    defaultClientId,
    // The default application is always allowed: a request without clientId must never be refused.
    allowedClientIds: [...new Set([defaultClientId, ...(read("ALLOWED_CLIENT_IDS") ?? [])])],
    credentials: resolveCredentials(read("DEFAULT_ROLE_ARN"), read("ALLOWED_ROLE_ARNS"), read("CREDENTIALS_MAX_DURATION_SECONDS"), read("STS_ENDPOINT") ?? stsEndpointOf(read("SSO_OIDC_ENDPOINT"))),
    exposeClientIds: read("EXPOSE_CLIENT_IDS") ?? nodeEnv !== "production",
    trustedTokenIssuers: read("TRUSTED_TOKEN_ISSUERS"),
    metricsPort,
    redisUrl: read("REDIS_URL"),
    gatewaySecret: secret.value,
    gatewaySecretGenerated: secret.generated,
    introspection: read("INTROSPECTION") ?? nodeEnv !== "production",
    explorer: read("EXPLORER") ?? nodeEnv !== "production",
    explorerEmulatorAccess: read("EXPLORER_EMULATOR_ACCESS") ?? "loopback",
    cors: resolveCors(read("CORS_ORIGINS"), nodeEnv, read("SESSION_MODE") ?? "off"),
    sessions: resolveSessions(read("SESSION_MODE"), read("SESSION_EXPOSE"), read("SESSION_IDLE_TIMEOUT_SECONDS"), read("SESSION_ABSOLUTE_LIFETIME_SECONDS"), {
      maxPerUser: read("SESSION_MAX_PER_USER") ?? 20, maxWithoutIdTokenPerCaller: read("SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER") ?? 100,
    }),
    apolloReporting: resolveApolloReporting(read("APOLLO_KEY"), read("APOLLO_GRAPH_REF")),
    operationLimits: {
      maxAliases: read("MAX_ALIASES") ?? 15,
      maxDepth: read("MAX_DEPTH") ?? 8,
      maxDirectives: read("MAX_DIRECTIVES") ?? 10,
      maxCost: read("MAX_COST") ?? 1000,
      maxTokens: read("MAX_TOKENS") ?? 1000,
      maxBodyBytes: read("MAX_BODY_BYTES") ?? 65_536,
      maxExchanges: read("MAX_EXCHANGES_PER_OPERATION") ?? 3,
    },
    rateLimits: {
      applicationPerSecond: read("RATE_LIMIT_APP_PER_SECOND") ?? 80,
      callerPerSecond: read("RATE_LIMIT_CALLER_PER_SECOND") ?? 20,
      callerBurst: read("RATE_LIMIT_CALLER_BURST") ?? 40,
      callerUpstreamPerSecond: read("RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND") ?? 2,
      callerUpstreamBurst: read("RATE_LIMIT_CALLER_UPSTREAM_BURST") ?? 10,
      stsPerSecond: read("RATE_LIMIT_STS_PER_SECOND") ?? 100,
    },
    trustProxy: read("TRUST_PROXY") ?? false,
    ipv6CallerPrefixLength: read("IPV6_CALLER_PREFIX_LENGTH") ?? 56,
    ipv6Network: resolveIpv6Network(read("IPV6_CALLER_PREFIX_LENGTH") ?? 56, read("IPV6_NETWORK_PREFIX_LENGTH"), read("IPV6_NETWORK_CALLERS") ?? 4),
    connections: {
      maxConnections: read("MAX_CONNECTIONS") ?? 900,
      maxConnectionsPerAddress: read("MAX_CONNECTIONS_PER_ADDRESS") ?? 64,
      maxParsingPerCaller: read("MAX_PARSING_PER_CALLER") ?? 4,
      maxPipelinedRequests: read("MAX_PIPELINED_REQUESTS") ?? 8,
      headersTimeoutMs: read("HEADERS_TIMEOUT_MS") ?? 5000,
    },
    persistedQueries: {
      maxDocumentBytes: read("APQ_MAX_DOCUMENT_BYTES") ?? 16_384,
      maxEntries: read("APQ_MAX_ENTRIES") ?? 1000,
      ttlSeconds: read("APQ_TTL_SECONDS") ?? 86_400,
      maxEntriesPerCaller: read("APQ_MAX_ENTRIES_PER_CALLER") ?? 50,
    },
    shutdownTimeoutMs: read("SHUTDOWN_TIMEOUT_MS") ?? 10_000,
    coordination: {
      refreshGraceSeconds,
      cacheMinTtlSeconds: read("CACHE_MIN_TTL_SECONDS") ?? 300,
      cacheMaxEntries: read("CACHE_MAX_ENTRIES") ?? 10_000,
      cacheMaxBytes: read("CACHE_MAX_BYTES") ?? 67_108_864,
      singleFlightWaitMs: read("SINGLE_FLIGHT_WAIT_MS"),
      redisKeyPrefix: read("REDIS_KEY_PREFIX") ?? "",
      refreshReuseDetection,
      refreshFamilyTtlSeconds,
    },
  };
}

type Parsed<N extends VariableName> = (typeof VARIABLES)[N]["schema"]["_zod"]["output"];

/** Undefined when the variable is unset or empty (an empty value means "use the default"). */
function parseVariable<N extends VariableName>(name: N, env: NodeJS.ProcessEnv): Parsed<N> | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const definition = VARIABLES[name];
  const result = definition.schema.safeParse(raw);
  if (result.success) return result.data as Parsed<N>;
  throw new ConfigError(name, `${name} must be ${definition.accepts} (got ${describeBadValue(name, raw)})`);
}

/** Shows the bad value, except what must stay secret: the secret's length only, a URL's password masked. */
function describeBadValue(name: VariableName, raw: string): string {
  if (!VARIABLES[name].echoValue) return `${Buffer.byteLength(raw, "utf8")} bytes`;
  if (name === "REDIS_URL") return JSON.stringify(describeRedisUrl(raw));
  if (name === "SSO_OIDC_ENDPOINT" || name === "STS_ENDPOINT") return JSON.stringify(maskUserInfo(raw));
  return JSON.stringify(raw);
}

/** A network set longer than a caller is a mistake (it would bound nothing); left at its default (48), it is off when callers are /48 or wider. */
function resolveIpv6Network(callerPrefixLength: number, networkPrefixLength: number | undefined, callers: number): GatewayConfig["ipv6Network"] {
  if (networkPrefixLength !== undefined && networkPrefixLength > callerPrefixLength) {
    throw new ConfigError(
      "IPV6_NETWORK_PREFIX_LENGTH",
      `IPV6_NETWORK_PREFIX_LENGTH (${networkPrefixLength}) must not be longer than IPV6_CALLER_PREFIX_LENGTH (${callerPrefixLength}): a network holds callers`,
    );
  }
  return { prefixLength: networkPrefixLength ?? 48, callers };
}

function resolveUpstream(
  endpoint: string | undefined, upstream: "aws" | "embedded" | undefined, nodeEnv: GatewayConfig["nodeEnv"], region: string, emulatorPort: number,
): UpstreamConfig {
  if (endpoint !== undefined) return { mode: "endpoint", endpoint, region };
  if (upstream === undefined && nodeEnv === "production") {
    // The embedded emulator mints its own trusted assertions: in production it must never start by default.
    throw new ConfigError(
      "UPSTREAM",
      "UPSTREAM must be set when NODE_ENV=production: UPSTREAM=aws (IAM Identity Center in AWS_REGION) or SSO_OIDC_ENDPOINT=<url>; UPSTREAM=embedded runs the bundled emulator as a demo",
    );
  }
  switch (upstream ?? "embedded") {
    case "aws":
      return { mode: "aws", region };
    case "embedded":
      return { mode: "embedded", region, emulatorPort, explicit: upstream === "embedded" };
  }
}

/**
 * STS_ENDPOINT's default: SSO_OIDC_ENDPOINT (an emulator or a test double serves both), except an
 * AWS host (a VPC endpoint or regional name of SSO OIDC): STS is another host there, AWS's regional one.
 */
function stsEndpointOf(ssoOidcEndpoint: string | undefined): string | undefined {
  if (ssoOidcEndpoint === undefined) return undefined;
  const host = new URL(ssoOidcEndpoint).hostname;
  return /\.amazonaws\.com(\.cn)?$|\.api\.aws$/.test(host) ? undefined : ssoOidcEndpoint;
}

function resolveCredentials(
  defaultRoleArn: string | undefined, allowed: string[] | undefined, maxDurationSeconds: number | undefined, stsEndpoint: string | undefined,
): CredentialsConfig {
  return {
    // The default role is always allowed: a request that names no role must never be refused for it.
    allowedRoleArns: [...new Set([...(defaultRoleArn === undefined ? [] : [defaultRoleArn]), ...(allowed ?? [])])],
    defaultRoleArn,
    maxDurationSeconds: maxDurationSeconds ?? DEFAULT_CREDENTIALS_MAX_DURATION_SECONDS,
    stsEndpoint,
  };
}

/** Apollo Studio's explorer runs on this origin; it may call the gateway unless CORS_ORIGINS says otherwise. */
const APOLLO_STUDIO_ORIGIN = "https://studio.apollographql.com";

function resolveCors(origins: string[] | undefined, nodeEnv: GatewayConfig["nodeEnv"], sessionMode: "off" | "cookie"): CorsConfig {
  if (origins !== undefined) {
    refusePlainHttpSessionOrigins(origins, nodeEnv, sessionMode);
    return { origins, allowLocalhost: false };
  }
  // Session mode answers listed origins with credentials: Apollo Studio is no default there, only an explicit choice.
  return { origins: sessionMode === "cookie" ? [] : [APOLLO_STUDIO_ORIGIN], allowLocalhost: nodeEnv !== "production" };
}

function resolveSessions(
  mode: "off" | "cookie" | undefined, expose: ("accessToken" | "idToken")[] | undefined, idleSeconds: number | undefined, absoluteSeconds: number | undefined,
  limits: Pick<CookieSessionConfig, "maxPerUser" | "maxWithoutIdTokenPerCaller">,
): SessionConfig {
  if ((mode ?? "off") === "off") return { mode: "off" };
  const idleTimeoutMs = (idleSeconds ?? 3600) * 1000;
  const absoluteLifetimeMs = (absoluteSeconds ?? 28_800) * 1000;
  if (idleTimeoutMs > absoluteLifetimeMs) {
    throw new ConfigError("SESSION_IDLE_TIMEOUT_SECONDS", `SESSION_IDLE_TIMEOUT_SECONDS (${idleTimeoutMs / 1000}) must not exceed SESSION_ABSOLUTE_LIFETIME_SECONDS (${absoluteLifetimeMs / 1000})`);
  }
  const exposed = new Set(expose ?? []);
  return { mode: "cookie", expose: { accessToken: exposed.has("accessToken"), idToken: exposed.has("idToken") }, idleTimeoutMs, absoluteLifetimeMs, ...limits };
}

function resolveApolloReporting(key: string | undefined, graphRef: string | undefined): ApolloReportingConfig | undefined {
  if (key !== undefined && graphRef !== undefined) return { key, graphRef };
  if (key === undefined && graphRef === undefined) return undefined;
  // One without the other would silently report nothing (or to the wrong graph): refuse to start.
  const missing = key === undefined ? "APOLLO_KEY" : "APOLLO_GRAPH_REF";
  throw new ConfigError(missing, `${missing} must be set too: APOLLO_KEY and APOLLO_GRAPH_REF enable Apollo GraphOS reporting together`);
}

function readGatewaySecret(secret: string | undefined, nodeEnv: GatewayConfig["nodeEnv"]): { value: Buffer; generated: boolean } {
  if (secret !== undefined) return { value: Buffer.from(secret, "utf8"), generated: false };
  if (nodeEnv === "production") {
    // Replicas must share the key, and a generated one would silently differ per process.
    throw new ConfigError(
      "GATEWAY_SECRET",
      `GATEWAY_SECRET is required when NODE_ENV=production: set a string of at least ${GATEWAY_SECRET_MIN_BYTES} bytes, shared by every replica`,
    );
  }
  return { value: randomBytes(GATEWAY_SECRET_MIN_BYTES), generated: true };
}

import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, ConfigError, DEFAULT_APPLICATION_ARN, loadConfig } from "../../../src/config/index.js";

const OTHER_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-333333333333";
const SECRET = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t!"; // 35 bytes

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted the environment");
}

describe("identity-enhanced credentials settings", () => {
  const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
  const OTHER = "arn:aws:iam::123456789012:role/path/Analyst";

  it("always allows DEFAULT_ROLE_ARN, first, without duplicates", () => {
    const config = loadConfig({ DEFAULT_ROLE_ARN: ROLE, ALLOWED_ROLE_ARNS: `${OTHER}, ${ROLE}` });
    expect(config.credentials).toEqual({ allowedRoleArns: [ROLE, OTHER], defaultRoleArn: ROLE, maxDurationSeconds: 3600, stsEndpoint: undefined });
  });

  it("sends STS to SSO_OIDC_ENDPOINT unless STS_ENDPOINT says otherwise", () => {
    expect(loadConfig({ SSO_OIDC_ENDPOINT: "http://127.0.0.1:9999" }).credentials?.stsEndpoint).toBe("http://127.0.0.1:9999");
    expect(loadConfig({ SSO_OIDC_ENDPOINT: "http://127.0.0.1:9999", STS_ENDPOINT: "https://sts.eu-west-1.amazonaws.com" }).credentials?.stsEndpoint).toBe("https://sts.eu-west-1.amazonaws.com");
    // An AWS host of SSO OIDC (a VPC endpoint): STS is elsewhere, AWS's regional endpoint.
    expect(loadConfig({ SSO_OIDC_ENDPOINT: "https://vpce-0a1b2c3d.oidc.eu-west-1.vpce.amazonaws.com" }).credentials?.stsEndpoint).toBeUndefined();
    expect(loadConfig({ SSO_OIDC_ENDPOINT: "https://oidc.eu-west-1.amazonaws.com" }).credentials?.stsEndpoint).toBeUndefined();
  });

  it.each([
    ["DEFAULT_ROLE_ARN", "arn:aws:sso::123456789012:application/ssoins-1/apl-2", "DEFAULT_ROLE_ARN must be an IAM role ARN"],
    ["ALLOWED_ROLE_ARNS", `${ROLE},role/x`, "ALLOWED_ROLE_ARNS must be a comma-separated list of IAM role ARNs"],
    ["CREDENTIALS_MAX_DURATION_SECONDS", "899", "CREDENTIALS_MAX_DURATION_SECONDS must be a multiple of 300 from 900 to 43200"],
    ["CREDENTIALS_MAX_DURATION_SECONDS", "43201", "CREDENTIALS_MAX_DURATION_SECONDS must be a multiple of 300 from 900 to 43200"],
    ["CREDENTIALS_MAX_DURATION_SECONDS", "1000", "CREDENTIALS_MAX_DURATION_SECONDS must be a multiple of 300 from 900 to 43200"],
    ["STS_ENDPOINT", "sts.amazonaws.com", "STS_ENDPOINT must be an http:// or https:// URL"],
  ])("refuses %s=%s, naming the variable", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("takes the longest duration from CREDENTIALS_MAX_DURATION_SECONDS", () => {
    expect(loadConfig({ CREDENTIALS_MAX_DURATION_SECONDS: "43200" }).credentials?.maxDurationSeconds).toBe(43_200);
  });
});

describe("loadConfig defaults", () => {
  it("returns the documented defaults for an empty environment", () => {
    const config = loadConfig({});
    expect({ ...config, gatewaySecret: undefined }).toEqual({
      port: 4000,
      host: "0.0.0.0",
      nodeEnv: "development",
      logLevel: "info",
      upstream: { mode: "embedded", region: "us-east-1", emulatorPort: 4001, explicit: false },
      upstreamTimeoutMs: 5000,
      upstreamConnectTimeoutMs: 2000,
      upstreamMaxAttempts: 3,
      upstreamDeadlineMs: 10_000,
      circuitBreaker: { threshold: 5, cooldownMs: 10_000 },
      defaultClientId: DEFAULT_APPLICATION_ARN,
      allowedClientIds: [DEFAULT_APPLICATION_ARN],
      credentials: { allowedRoleArns: [], defaultRoleArn: undefined, maxDurationSeconds: 3600, stsEndpoint: undefined },
      exposeClientIds: true,
      trustedTokenIssuers: undefined,
      metricsPort: undefined,
      redisUrl: undefined,
      gatewaySecret: undefined,
      gatewaySecretGenerated: true,
      introspection: true,
      explorer: true,
      explorerEmulatorAccess: "loopback",
      cors: { origins: ["https://studio.apollographql.com"], allowLocalhost: true },
      sessions: { mode: "off" },
      apolloReporting: undefined,
      operationLimits: { maxAliases: 15, maxDepth: 8, maxDirectives: 10, maxCost: 1000, maxTokens: 1000, maxBodyBytes: 65_536, maxExchanges: 3 },
      rateLimits: { applicationPerSecond: 80, callerPerSecond: 20, callerBurst: 40, callerUpstreamPerSecond: 2, callerUpstreamBurst: 10, stsPerSecond: 100 },
      trustProxy: false,
      ipv6CallerPrefixLength: 56,
      ipv6Network: { prefixLength: 48, callers: 4 },
      connections: { maxConnections: 900, maxConnectionsPerAddress: 64, maxParsingPerCaller: 4, maxPipelinedRequests: 8, headersTimeoutMs: 5000 },
      persistedQueries: { maxDocumentBytes: 16_384, maxEntries: 1000, ttlSeconds: 86_400, maxEntriesPerCaller: 50 },
      shutdownTimeoutMs: 10_000,
      coordination: {
        refreshGraceSeconds: 30, cacheMinTtlSeconds: 300, cacheMaxEntries: 10_000, cacheMaxBytes: 67_108_864, singleFlightWaitMs: undefined, redisKeyPrefix: "",
        refreshReuseDetection: true, refreshFamilyTtlSeconds: 2_592_000,
      },
    });
    expect(config.gatewaySecret.length).toBe(32);
  });

  it("treats an empty value as unset", () => {
    expect(loadConfig({ PORT: "", LOG_LEVEL: "" }).port).toBe(4000);
  });

  it("generates a different secret for each process when none is given", () => {
    expect(loadConfig({}).gatewaySecret.equals(loadConfig({}).gatewaySecret)).toBe(false);
  });
});

describe("loadConfig accepts good values", () => {
  const cases: Array<[string, NodeJS.ProcessEnv, (config: ReturnType<typeof loadConfig>) => unknown, unknown]> = [
    ["PORT 0 (ephemeral)", { PORT: "0" }, (c) => c.port, 0],
    ["PORT 65535", { PORT: "65535" }, (c) => c.port, 65535],
    ["HOST", { HOST: "127.0.0.1" }, (c) => c.host, "127.0.0.1"],
    ["NODE_ENV test", { NODE_ENV: "test" }, (c) => c.nodeEnv, "test"],
    ["LOG_LEVEL silent", { LOG_LEVEL: "silent" }, (c) => c.logLevel, "silent"],
    ["SSO_OIDC_ENDPOINT", { SSO_OIDC_ENDPOINT: "http://127.0.0.1:9999", AWS_REGION: "eu-west-1" }, (c) => c.upstream, { mode: "endpoint", endpoint: "http://127.0.0.1:9999", region: "eu-west-1" }],
    ["SSO_OIDC_ENDPOINT over UPSTREAM=aws", { SSO_OIDC_ENDPOINT: "https://oidc.example", UPSTREAM: "aws" }, (c) => c.upstream.mode, "endpoint"],
    ["UPSTREAM aws", { UPSTREAM: "aws", AWS_REGION: "ap-southeast-2" }, (c) => c.upstream, { mode: "aws", region: "ap-southeast-2" }],
    ["UPSTREAM embedded with EMULATOR_PORT 0", { UPSTREAM: "embedded", EMULATOR_PORT: "0" }, (c) => c.upstream, { mode: "embedded", region: "us-east-1", emulatorPort: 0, explicit: true }],
    ["UPSTREAM embedded in production (an announced demo)", { NODE_ENV: "production", GATEWAY_SECRET: SECRET, UPSTREAM: "embedded" }, (c) => c.upstream.mode, "embedded"],
    ["UPSTREAM_DEADLINE_MS", { UPSTREAM_DEADLINE_MS: "2500" }, (c) => c.upstreamDeadlineMs, 2500],
    ["TRUSTED_TOKEN_ISSUERS", { TRUSTED_TOKEN_ISSUERS: "https://idp.example.com, https://other.example" }, (c) => c.trustedTokenIssuers, ["https://idp.example.com", "https://other.example"]],
    ["METRICS_PORT", { METRICS_PORT: "9464" }, (c) => c.metricsPort, 9464],
    ["EXPOSE_CLIENT_IDS off by default in production", { NODE_ENV: "production", GATEWAY_SECRET: SECRET, UPSTREAM: "aws" }, (c) => c.exposeClientIds, false],
    ["EXPLORER_EMULATOR_ACCESS any", { EXPLORER_EMULATOR_ACCESS: "any" }, (c) => c.explorerEmulatorAccess, "any"],
    ["TRUST_PROXY hop count", { TRUST_PROXY: "2" }, (c) => c.trustProxy, 2],
    ["TRUST_PROXY addresses and CIDRs", { TRUST_PROXY: "10.0.0.0/8, ::1,192.168.1.7" }, (c) => c.trustProxy, ["10.0.0.0/8", "::1", "192.168.1.7"]],
    ["MAX_CONNECTIONS_PER_ADDRESS 0", { MAX_CONNECTIONS_PER_ADDRESS: "0" }, (c) => c.connections.maxConnectionsPerAddress, 0],
    ["MAX_PARSING_PER_CALLER 0", { MAX_PARSING_PER_CALLER: "0" }, (c) => c.connections.maxParsingPerCaller, 0],
    ["MAX_PARSING_PER_CALLER 16", { MAX_PARSING_PER_CALLER: "16" }, (c) => c.connections.maxParsingPerCaller, 16],
    ["APQ_MAX_ENTRIES 0 (off)", { APQ_MAX_ENTRIES: "0" }, (c) => c.persistedQueries.maxEntries, 0],
    ["REFRESH_REUSE_DETECTION false", { REFRESH_REUSE_DETECTION: "false" }, (c) => c.coordination?.refreshReuseDetection, false],
    ["AWS_REGION us-gov-west-1", { AWS_REGION: "us-gov-west-1" }, (c) => c.upstream.region, "us-gov-west-1"],
    ["UPSTREAM_TIMEOUT_MS", { UPSTREAM_TIMEOUT_MS: "250" }, (c) => c.upstreamTimeoutMs, 250],
    ["UPSTREAM_CONNECT_TIMEOUT_MS", { UPSTREAM_CONNECT_TIMEOUT_MS: "100" }, (c) => c.upstreamConnectTimeoutMs, 100],
    ["UPSTREAM_MAX_ATTEMPTS 1", { UPSTREAM_MAX_ATTEMPTS: "1" }, (c) => c.upstreamMaxAttempts, 1],
    ["CIRCUIT_BREAKER_THRESHOLD and CIRCUIT_BREAKER_COOLDOWN_MS", { CIRCUIT_BREAKER_THRESHOLD: "2", CIRCUIT_BREAKER_COOLDOWN_MS: "750" }, (c) => c.circuitBreaker, { threshold: 2, cooldownMs: 750 }],
    ["DEFAULT_CLIENT_ID", { DEFAULT_CLIENT_ID: OTHER_APP }, (c) => [c.defaultClientId, c.allowedClientIds], [OTHER_APP, [OTHER_APP]]],
    ["ALLOWED_CLIENT_IDS always includes the default", { ALLOWED_CLIENT_IDS: ` ${OTHER_APP} ,,${OTHER_APP}` }, (c) => c.allowedClientIds, [DEFAULT_APPLICATION_ARN, OTHER_APP]],
    ["REDIS_URL", { REDIS_URL: "rediss://user:pw@cache.example:6380/0" }, (c) => c.redisUrl, "rediss://user:pw@cache.example:6380/0"],
    ["REDIS_URL (Cluster, TLS)", { REDIS_URL: "rediss+cluster://clustercfg.gw.abc123.use1.cache.amazonaws.com:6379" }, (c) => c.redisUrl, "rediss+cluster://clustercfg.gw.abc123.use1.cache.amazonaws.com:6379"],
    ["REDIS_URL (Sentinel)", { REDIS_URL: "redis+sentinel://:pw@s1:26379,s2:26379/mymaster/1" }, (c) => c.redisUrl, "redis+sentinel://:pw@s1:26379,s2:26379/mymaster/1"],
    ["GATEWAY_SECRET", { GATEWAY_SECRET: SECRET }, (c) => [c.gatewaySecret.toString("utf8"), c.gatewaySecretGenerated], [SECRET, false]],
    ["GATEWAY_SECRET in production", { NODE_ENV: "production", GATEWAY_SECRET: SECRET, UPSTREAM: "aws" }, (c) => [c.nodeEnv, c.introspection], ["production", false]],
    ["INTROSPECTION false", { INTROSPECTION: "false" }, (c) => c.introspection, false],
    ["MAX_ALIASES", { MAX_ALIASES: "3" }, (c) => c.operationLimits.maxAliases, 3],
    ["MAX_BODY_BYTES", { MAX_BODY_BYTES: "2048" }, (c) => c.operationLimits.maxBodyBytes, 2048],
    ["RATE_LIMIT_APP_PER_SECOND 0 (disabled)", { RATE_LIMIT_APP_PER_SECOND: "0" }, (c) => c.rateLimits.applicationPerSecond, 0],
    ["RATE_LIMIT_STS_PER_SECOND", { RATE_LIMIT_STS_PER_SECOND: "25" }, (c) => c.rateLimits.stsPerSecond, 25],
    ["RATE_LIMIT_STS_PER_SECOND 0 (disabled)", { RATE_LIMIT_STS_PER_SECOND: "0" }, (c) => c.rateLimits.stsPerSecond, 0],
    ["TRUST_PROXY", { TRUST_PROXY: "true" }, (c) => c.trustProxy, true],
    ["SHUTDOWN_TIMEOUT_MS", { SHUTDOWN_TIMEOUT_MS: "2500" }, (c) => c.shutdownTimeoutMs, 2500],
    ["REFRESH_GRACE_SECONDS 0 (off)", { REFRESH_GRACE_SECONDS: "0" }, (c) => c.coordination?.refreshGraceSeconds, 0],
    ["CACHE_MIN_TTL_SECONDS", { CACHE_MIN_TTL_SECONDS: "60" }, (c) => c.coordination?.cacheMinTtlSeconds, 60],
    ["CACHE_MAX_ENTRIES and CACHE_MAX_BYTES", { CACHE_MAX_ENTRIES: "500", CACHE_MAX_BYTES: "1048576" }, (c) => [c.coordination?.cacheMaxEntries, c.coordination?.cacheMaxBytes], [500, 1_048_576]],
    ["SINGLE_FLIGHT_WAIT_MS", { SINGLE_FLIGHT_WAIT_MS: "1500" }, (c) => c.coordination?.singleFlightWaitMs, 1500],
    ["REDIS_KEY_PREFIX", { REDIS_KEY_PREFIX: "tenant-a:" }, (c) => c.coordination?.redisKeyPrefix, "tenant-a:"],
    ["INTROSPECTION true in production", { NODE_ENV: "production", GATEWAY_SECRET: SECRET, UPSTREAM: "aws", INTROSPECTION: "true" }, (c) => c.introspection, true],
  ];
  it.each(cases)("reads %s", (_label, env, pick, expected) => {
    expect(pick(loadConfig(env))).toEqual(expected);
  });
});

describe("loadConfig rejects bad values with one line naming the variable", () => {
  const cases: Array<[NodeJS.ProcessEnv, string]> = [
    [{ PORT: "abc" }, 'PORT must be an integer from 0 to 65535 (got "abc")'],
    [{ PORT: "65536" }, 'PORT must be an integer from 0 to 65535 (got "65536")'],
    [{ PORT: "-1" }, 'PORT must be an integer from 0 to 65535 (got "-1")'],
    [{ PORT: "80.5" }, 'PORT must be an integer from 0 to 65535 (got "80.5")'],
    [{ HOST: "local host" }, 'HOST must be a host name or IP address without spaces (got "local host")'],
    [{ NODE_ENV: "prod" }, 'NODE_ENV must be one of development, production, test (got "prod")'],
    [{ LOG_LEVEL: "verbose" }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    [{ SSO_OIDC_ENDPOINT: "localhost:4001" }, 'SSO_OIDC_ENDPOINT must be an http:// or https:// URL without user:password@ (the AWS SDK never sends them) (got "localhost:4001")'],
    [{ SSO_OIDC_ENDPOINT: "ftp://x.example" }, 'SSO_OIDC_ENDPOINT must be an http:// or https:// URL without user:password@ (the AWS SDK never sends them) (got "ftp://x.example")'],
    [{ UPSTREAM: "AWS" }, 'UPSTREAM must be aws or embedded (got "AWS")'],
    [{ AWS_REGION: "US-EAST-1" }, 'AWS_REGION must be an AWS region name such as us-east-1 (got "US-EAST-1")'],
    [{ EMULATOR_PORT: "70000" }, 'EMULATOR_PORT must be an integer from 0 to 65535 (got "70000")'],
    [{ CIRCUIT_BREAKER_THRESHOLD: "0" }, 'CIRCUIT_BREAKER_THRESHOLD must be an integer from 1 to 1000 (got "0")'],
    [{ CIRCUIT_BREAKER_COOLDOWN_MS: "10s" }, 'CIRCUIT_BREAKER_COOLDOWN_MS must be an integer from 1 to 600000 (milliseconds) (got "10s")'],
    [{ UPSTREAM_TIMEOUT_MS: "0" }, 'UPSTREAM_TIMEOUT_MS must be an integer from 1 to 600000 (milliseconds) (got "0")'],
    [{ UPSTREAM_CONNECT_TIMEOUT_MS: "2s" }, 'UPSTREAM_CONNECT_TIMEOUT_MS must be an integer from 1 to 600000 (milliseconds) (got "2s")'],
    [{ UPSTREAM_MAX_ATTEMPTS: "11" }, 'UPSTREAM_MAX_ATTEMPTS must be an integer from 1 to 10 (got "11")'],
    [{ DEFAULT_CLIENT_ID: "my-app" }, 'DEFAULT_CLIENT_ID must be an Identity Center application ARN (arn:aws:sso::<account>:application/ssoins-…/apl-…) (got "my-app")'],
    [{ ALLOWED_CLIENT_IDS: `${OTHER_APP},oops` }, `ALLOWED_CLIENT_IDS must be a comma-separated list of Identity Center application ARNs (arn:aws:sso::<account>:application/ssoins-…/apl-…) (got "${OTHER_APP},oops")`],
    [{ ALLOWED_CLIENT_IDS: " , " }, 'ALLOWED_CLIENT_IDS must be a comma-separated list of Identity Center application ARNs (arn:aws:sso::<account>:application/ssoins-…/apl-…) (got " , ")'],
    [{ REDIS_URL: "http://cache.example" }, 'REDIS_URL must be redis://[user:pass@]host:port[/db], redis+sentinel://[user:pass@]host:port,…/<master>[/db] or redis+cluster://[user:pass@]host:port,… (rediss://, rediss+sentinel://, rediss+cluster:// for TLS) (got "http://cache.example")'],
    [{ REDIS_URL: "memcached://user:hunter2@cache" }, 'REDIS_URL must be redis://[user:pass@]host:port[/db], redis+sentinel://[user:pass@]host:port,…/<master>[/db] or redis+cluster://[user:pass@]host:port,… (rediss://, rediss+sentinel://, rediss+cluster:// for TLS) (got "memcached://***@cache")'],
    [{ REDIS_URL: "redis+sentinel://:hunter2@s1:26379" }, 'REDIS_URL must be redis://[user:pass@]host:port[/db], redis+sentinel://[user:pass@]host:port,…/<master>[/db] or redis+cluster://[user:pass@]host:port,… (rediss://, rediss+sentinel://, rediss+cluster:// for TLS) (got "redis+sentinel://***@s1:26379")'],
    [{ GATEWAY_SECRET: "too-short-secret" }, "GATEWAY_SECRET must be a string of at least 32 bytes (got 16 bytes)"],
    [{ NODE_ENV: "production" }, "GATEWAY_SECRET is required when NODE_ENV=production: set a string of at least 32 bytes, shared by every replica"],
    [{ INTROSPECTION: "yes" }, 'INTROSPECTION must be true or false (got "yes")'],
    [
      { NODE_ENV: "production", GATEWAY_SECRET: "x".repeat(32) },
      "UPSTREAM must be set when NODE_ENV=production: UPSTREAM=aws (IAM Identity Center in AWS_REGION) or SSO_OIDC_ENDPOINT=<url>; UPSTREAM=embedded runs the bundled emulator as a demo",
    ],
    [{ TRUST_PROXY: "11" }, 'TRUST_PROXY must be false, true, a hop count from 1 to 10, or a comma-separated list of proxy addresses or CIDRs (10.0.0.0/8, ::1) (got "11")'],
    [{ TRUST_PROXY: "10.0.0.0/33" }, 'TRUST_PROXY must be false, true, a hop count from 1 to 10, or a comma-separated list of proxy addresses or CIDRs (10.0.0.0/8, ::1) (got "10.0.0.0/33")'],
    [{ TRUST_PROXY: "proxy.internal" }, 'TRUST_PROXY must be false, true, a hop count from 1 to 10, or a comma-separated list of proxy addresses or CIDRs (10.0.0.0/8, ::1) (got "proxy.internal")'],
    [{ UPSTREAM_DEADLINE_MS: "50" }, 'UPSTREAM_DEADLINE_MS must be an integer from 100 to 600000 (milliseconds) (got "50")'],
    [{ EXPLORER_EMULATOR_ACCESS: "everyone" }, 'EXPLORER_EMULATOR_ACCESS must be loopback or any (got "everyone")'],
    [{ REFRESH_GRACE_SECONDS: "3601" }, 'REFRESH_GRACE_SECONDS must be an integer from 0 to 3600 (seconds) (got "3601")'],
    [{ CACHE_MIN_TTL_SECONDS: "5m" }, 'CACHE_MIN_TTL_SECONDS must be an integer from 0 to 86400 (seconds) (got "5m")'],
    [{ CACHE_MAX_ENTRIES: "0" }, 'CACHE_MAX_ENTRIES must be an integer from 1 to 10000000 (got "0")'],
    [{ CACHE_MAX_BYTES: "100" }, 'CACHE_MAX_BYTES must be an integer from 1024 to 17179869184 (bytes) (got "100")'],
    [{ SINGLE_FLIGHT_WAIT_MS: "0" }, 'SINGLE_FLIGHT_WAIT_MS must be an integer from 1 to 600000 (milliseconds) (got "0")'],
    [{ REDIS_KEY_PREFIX: "a b" }, `REDIS_KEY_PREFIX must be up to 64 characters of A-Z, a-z, 0-9, ':', '_', '-', '.' (got "a b")`],
  ];
  it.each(cases)("rejects %j", (env, message) => {
    const error = configError(env);
    expect(error.message).toBe(message);
    expect(error.variable).toBe(message.split(" ")[0]);
    expect(error.message).not.toContain("\n");
  });

  it("never shows GATEWAY_SECRET's value", () => {
    const error = configError({ GATEWAY_SECRET: "hunter2-hunter2" });
    expect(error.message).not.toContain("hunter2");
  });
});

describe("CONFIG_VARIABLES", () => {
  it("documents every variable loadConfig reads, with a description", () => {
    expect(CONFIG_VARIABLES.map((v) => v.name)).toEqual([
      "ENV_FILE", "PORT", "HOST", "METRICS_PORT", "NODE_ENV", "LOG_LEVEL", "SSO_OIDC_ENDPOINT", "UPSTREAM", "AWS_REGION", "EMULATOR_PORT",
      "UPSTREAM_TIMEOUT_MS", "UPSTREAM_CONNECT_TIMEOUT_MS", "UPSTREAM_MAX_ATTEMPTS", "UPSTREAM_DEADLINE_MS", "CIRCUIT_BREAKER_THRESHOLD", "CIRCUIT_BREAKER_COOLDOWN_MS", "DEFAULT_CLIENT_ID",
      "ALLOWED_CLIENT_IDS", "ALLOWED_ROLE_ARNS", "DEFAULT_ROLE_ARN", "CREDENTIALS_MAX_DURATION_SECONDS", "STS_ENDPOINT",
      "SESSION_MODE", "SESSION_EXPOSE", "SESSION_IDLE_TIMEOUT_SECONDS", "SESSION_ABSOLUTE_LIFETIME_SECONDS", "SESSION_MAX_PER_USER", "SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER", "EXPOSE_CLIENT_IDS", "TRUSTED_TOKEN_ISSUERS", "REDIS_URL", "GATEWAY_SECRET", "INTROSPECTION",
      "EXPLORER", "EXPLORER_EMULATOR_ACCESS", "CORS_ORIGINS", "APOLLO_KEY", "APOLLO_GRAPH_REF",
      "MAX_ALIASES", "MAX_DEPTH", "MAX_DIRECTIVES", "MAX_COST", "MAX_TOKENS", "MAX_BODY_BYTES", "MAX_EXCHANGES_PER_OPERATION",
      "APQ_MAX_DOCUMENT_BYTES", "APQ_MAX_ENTRIES", "APQ_MAX_ENTRIES_PER_CALLER", "APQ_TTL_SECONDS", "IPV6_CALLER_PREFIX_LENGTH", "IPV6_NETWORK_PREFIX_LENGTH", "IPV6_NETWORK_CALLERS", "TRUST_PROXY", "MAX_CONNECTIONS", "MAX_CONNECTIONS_PER_ADDRESS", "MAX_PARSING_PER_CALLER", "MAX_PIPELINED_REQUESTS", "HEADERS_TIMEOUT_MS",
      "RATE_LIMIT_CALLER_PER_SECOND", "RATE_LIMIT_CALLER_BURST", "RATE_LIMIT_APP_PER_SECOND", "RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND", "RATE_LIMIT_CALLER_UPSTREAM_BURST", "RATE_LIMIT_STS_PER_SECOND",
      "SHUTDOWN_TIMEOUT_MS", "REFRESH_GRACE_SECONDS", "REFRESH_REUSE_DETECTION", "REFRESH_FAMILY_TTL_SECONDS",
      "CACHE_MIN_TTL_SECONDS", "CACHE_MAX_ENTRIES", "CACHE_MAX_BYTES", "SINGLE_FLIGHT_WAIT_MS", "REDIS_KEY_PREFIX",
    ]);
    for (const variable of CONFIG_VARIABLES) expect(variable.description.length).toBeGreaterThan(10);
  });

  it("lists the defaults loadConfig applies", () => {
    const defaults = Object.fromEntries(CONFIG_VARIABLES.map((v) => [v.name, v.default]));
    expect(defaults).toMatchObject({ PORT: "4000", HOST: "0.0.0.0", NODE_ENV: "development", LOG_LEVEL: "info", EMULATOR_PORT: "4001", UPSTREAM_TIMEOUT_MS: "5000", UPSTREAM_CONNECT_TIMEOUT_MS: "2000", UPSTREAM_MAX_ATTEMPTS: "3", DEFAULT_CLIENT_ID: DEFAULT_APPLICATION_ARN, AWS_REGION: "us-east-1", GATEWAY_SECRET: null, REDIS_URL: null });
  });
});

describe("session mode settings", () => {
  it("is off by default, and cookie mode takes its lifetimes and what it exposes", () => {
    expect(loadConfig({}).sessions).toEqual({ mode: "off" });
    expect(loadConfig({ SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", SESSION_IDLE_TIMEOUT_SECONDS: "120", SESSION_ABSOLUTE_LIFETIME_SECONDS: "3600" }).sessions).toEqual({
      mode: "cookie", expose: { accessToken: false, idToken: true }, idleTimeoutMs: 120_000, absoluteLifetimeMs: 3_600_000, maxPerUser: 20, maxWithoutIdTokenPerCaller: 100,
    });
    expect(loadConfig({ SESSION_MODE: "cookie", SESSION_MAX_PER_USER: "0", SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER: "7" }).sessions).toMatchObject({ maxPerUser: 0, maxWithoutIdTokenPerCaller: 7 });
  });

  it("takes an IPv6 network's share, refusing a network longer than a caller, and leaves a defaulted /48 to callers counted wider (off then)", () => {
    expect(loadConfig({ IPV6_NETWORK_PREFIX_LENGTH: "40", IPV6_NETWORK_CALLERS: "0" }).ipv6Network).toEqual({ prefixLength: 40, callers: 0 });
    expect(() => loadConfig({ IPV6_NETWORK_PREFIX_LENGTH: "60" })).toThrow(
      "IPV6_NETWORK_PREFIX_LENGTH (60) must not be longer than IPV6_CALLER_PREFIX_LENGTH (56): a network holds callers",
    );
    expect(loadConfig({ IPV6_CALLER_PREFIX_LENGTH: "40" }).ipv6Network).toEqual({ prefixLength: 48, callers: 4 });
    expect(() => loadConfig({ IPV6_NETWORK_CALLERS: "100001" })).toThrow(/^IPV6_NETWORK_CALLERS must be an integer from 0 to 100000/);
  });

  it("refuses a per-user session limit outside 0 to 100, naming the variable", () => {
    expect(() => loadConfig({ SESSION_MODE: "cookie", SESSION_MAX_PER_USER: "101" })).toThrow(/^SESSION_MAX_PER_USER must be an integer from 0 to 100/);
    expect(() => loadConfig({ SESSION_MODE: "cookie", SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER: "-1" })).toThrow(/^SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER must be an integer/);
  });

  it("refuses to expose the refresh token, and an idle timeout longer than the absolute lifetime, naming the variable", () => {
    expect(() => loadConfig({ SESSION_MODE: "cookie", SESSION_EXPOSE: "refreshToken" })).toThrow(/^SESSION_EXPOSE must be a comma-separated list of accessToken and idToken, or none/);
    expect(() => loadConfig({ SESSION_MODE: "cookie", SESSION_IDLE_TIMEOUT_SECONDS: "7200", SESSION_ABSOLUTE_LIFETIME_SECONDS: "3600" })).toThrow(
      "SESSION_IDLE_TIMEOUT_SECONDS (7200) must not exceed SESSION_ABSOLUTE_LIFETIME_SECONDS (3600)",
    );
  });

  it("does not give Apollo Studio credentialed access by default in cookie mode (only listed origins, and localhost in development)", () => {
    expect(loadConfig({ SESSION_MODE: "cookie" }).cors).toEqual({ origins: [], allowLocalhost: true });
    expect(loadConfig({}).cors).toEqual({ origins: ["https://studio.apollographql.com"], allowLocalhost: true });
    expect(loadConfig({ SESSION_MODE: "cookie", CORS_ORIGINS: "https://app.example" }).cors).toEqual({ origins: ["https://app.example"], allowLocalhost: false });
  });
});

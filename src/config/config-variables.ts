import { z } from "zod";

/**
 * Every environment variable the gateway reads: its name, its default (as shown in the README;
 * null = unset), what it means, and what it accepts. The README table and `--help` are built from
 * this list, and `loadConfig` parses with the schemas here, so the three never drift apart.
 */
export interface ConfigVariable {
  name: string;
  /** The default as a human reads it; null when the variable has no default (unset). */
  default: string | null;
  description: string;
  /** What the variable accepts, phrased to follow "<NAME> must be …" in an error message. */
  accepts: string;
  /** False for values that must never be echoed (error messages, help output). */
  echoValue: boolean;
}

export const DEFAULT_APPLICATION_ARN = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

/** Identity Center application ARNs: arn:<partition>:sso::<account>:application/<instance>/<application>. */
const APPLICATION_ARN_PATTERN = /^arn:aws(-[a-z]+)*:sso::\d{12}:application\/ssoins-[A-Za-z0-9]+\/apl-[A-Za-z0-9]+$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const integer = (min: number, max: number) =>
  z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));

export const applicationArn = z.string().regex(APPLICATION_ARN_PATTERN);

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
});

const redisUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "redis:" || url.protocol === "rediss:";
  } catch {
    return false;
  }
});

const booleanWord = z.enum(["true", "false"]).transform((value) => value === "true");

export const NODE_ENVS = ["development", "production", "test"] as const;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Minimum GATEWAY_SECRET length in bytes (UTF-8): enough key material for HMAC-SHA256. */
export const GATEWAY_SECRET_MIN_BYTES = 32;

interface VariableDefinition<T> extends ConfigVariable {
  schema: z.ZodType<T, string>;
}

function variable<T>(definition: Omit<VariableDefinition<T>, "echoValue"> & { echoValue?: boolean }): VariableDefinition<T> {
  return { echoValue: true, ...definition };
}

/** The parsers, by variable. Defaults are applied by `loadConfig` (some depend on other variables). */
export const VARIABLES = {
  PORT: variable({
    name: "PORT", default: "4000", accepts: "an integer from 0 to 65535",
    description: "Port the GraphQL gateway listens on (0 = an ephemeral port, logged at start).",
    schema: integer(0, 65535),
  }),
  HOST: variable({
    name: "HOST", default: "0.0.0.0", accepts: "a host name or IP address without spaces",
    description: "Interface the gateway binds.",
    schema: z.string().regex(/^[^\s/]+$/),
  }),
  NODE_ENV: variable({
    name: "NODE_ENV", default: "development", accepts: `one of ${NODE_ENVS.join(", ")}`,
    description: "Runtime mode. `production` requires GATEWAY_SECRET, turns introspection off by default and hides stack traces.",
    schema: z.enum(NODE_ENVS),
  }),
  LOG_LEVEL: variable({
    name: "LOG_LEVEL", default: "info", accepts: `one of ${LOG_LEVELS.join(", ")}`,
    description: "Minimum level of the JSON log lines written to stdout.",
    schema: z.enum(LOG_LEVELS),
  }),
  SSO_OIDC_ENDPOINT: variable({
    name: "SSO_OIDC_ENDPOINT", default: null, accepts: "an http:// or https:// URL",
    description: "SSO OIDC endpoint the SDK talks to (an emulator, a proxy). Set: wins over UPSTREAM.",
    schema: httpUrl,
  }),
  UPSTREAM: variable({
    name: "UPSTREAM", default: "embedded", accepts: "aws or embedded",
    description: "Without SSO_OIDC_ENDPOINT: `aws` = real IAM Identity Center in AWS_REGION with the SDK's default credential chain; `embedded` = start the bundled emulator on EMULATOR_PORT.",
    schema: z.enum(["aws", "embedded"]),
  }),
  AWS_REGION: variable({
    name: "AWS_REGION", default: "us-east-1", accepts: "an AWS region name such as us-east-1",
    description: "Region of the Identity Center instance (the SDK needs it even with SSO_OIDC_ENDPOINT).",
    schema: z.string().regex(REGION_PATTERN),
  }),
  EMULATOR_PORT: variable({
    name: "EMULATOR_PORT", default: "4001", accepts: "an integer from 0 to 65535",
    description: "Port of the embedded emulator (embedded mode only; 0 = ephemeral).",
    schema: integer(0, 65535),
  }),
  UPSTREAM_TIMEOUT_MS: variable({
    name: "UPSTREAM_TIMEOUT_MS", default: "5000", accepts: "an integer from 1 to 600000 (milliseconds)",
    description: "Per-attempt timeout of a CreateTokenWithIAM request, in milliseconds.",
    schema: integer(1, 600_000),
  }),
  UPSTREAM_CONNECT_TIMEOUT_MS: variable({
    name: "UPSTREAM_CONNECT_TIMEOUT_MS", default: "2000", accepts: "an integer from 1 to 600000 (milliseconds)",
    description: "Timeout for opening a connection to the upstream, in milliseconds.",
    schema: integer(1, 600_000),
  }),
  UPSTREAM_MAX_ATTEMPTS: variable({
    name: "UPSTREAM_MAX_ATTEMPTS", default: "3", accepts: "an integer from 1 to 10",
    description: "Total attempts for retryable upstream faults (throttling, 5xx, transient); 1 = no retry. Authorization codes are never replayed.",
    schema: integer(1, 10),
  }),
  CIRCUIT_BREAKER_THRESHOLD: variable({
    name: "CIRCUIT_BREAKER_THRESHOLD", default: "5", accepts: "an integer from 1 to 1000",
    description: "Consecutive upstream availability faults (timeouts, connection errors, 5xx; never a rejected grant or throttling) that open the circuit: calls then fail fast with UPSTREAM_UNAVAILABLE.",
    schema: integer(1, 1000),
  }),
  CIRCUIT_BREAKER_COOLDOWN_MS: variable({
    name: "CIRCUIT_BREAKER_COOLDOWN_MS", default: "10000", accepts: "an integer from 1 to 600000 (milliseconds)",
    description: "How long an open circuit fails fast before one probe call is let through; an answer closes it, a fault opens it again.",
    schema: integer(1, 600_000),
  }),
  DEFAULT_CLIENT_ID: variable({
    name: "DEFAULT_CLIENT_ID", default: DEFAULT_APPLICATION_ARN,
    accepts: "an Identity Center application ARN (arn:aws:sso::<account>:application/ssoins-…/apl-…)",
    description: "Application ARN used when a request names no clientId.",
    schema: applicationArn,
  }),
  ALLOWED_CLIENT_IDS: variable({
    name: "ALLOWED_CLIENT_IDS", default: null,
    accepts: "a comma-separated list of Identity Center application ARNs (arn:aws:sso::<account>:application/ssoins-…/apl-…)",
    description: "Applications the gateway exchanges tokens for (comma-separated). DEFAULT_CLIENT_ID is always included; unset = DEFAULT_CLIENT_ID only.",
    schema: z
      .string()
      .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""))
      .pipe(z.array(applicationArn).min(1)),
  }),
  REDIS_URL: variable({
    name: "REDIS_URL", default: null, accepts: "a redis:// or rediss:// URL",
    description: "Unset: state in memory (one process). Set: shared state in Redis (many replicas).",
    schema: redisUrl,
  }),
  GATEWAY_SECRET: variable({
    name: "GATEWAY_SECRET", default: null, echoValue: false,
    accepts: `a string of at least ${GATEWAY_SECRET_MIN_BYTES} bytes`,
    description: `Key for cache/lock key derivation and at-rest encryption (>= ${GATEWAY_SECRET_MIN_BYTES} bytes, shared by replicas). Required in production; otherwise generated per process with a warning.`,
    schema: z.string().refine((value) => Buffer.byteLength(value, "utf8") >= GATEWAY_SECRET_MIN_BYTES),
  }),
  INTROSPECTION: variable({
    name: "INTROSPECTION", default: "true (false when NODE_ENV=production)", accepts: "true or false",
    description: "Whether GraphQL introspection is enabled.",
    schema: booleanWord,
  }),
  EXPLORER: variable({
    name: "EXPLORER", default: "true (false when NODE_ENV=production)", accepts: "true or false",
    description: "Whether a browser opening the GraphQL endpoint gets the offline explorer (GraphiQL served from the gateway itself, with example operations and, in embedded mode, test credentials).",
    schema: booleanWord,
  }),
  CORS_ORIGINS: variable({
    name: "CORS_ORIGINS", default: "https://studio.apollographql.com (plus any http://localhost and http://127.0.0.1 port when NODE_ENV is not production)",
    accepts: "a comma-separated list of origins such as https://app.example.com (scheme://host[:port], no path), or none",
    description: "Browser origins allowed to call the gateway cross-origin (CORS, without credentials). Setting it replaces the default list; `none` allows no other origin.",
    schema: z
      .string()
      .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""))
      .pipe(z.union([z.tuple([z.literal("none")]).transform(() => [] as string[]), z.array(z.string().regex(/^https?:\/\/[^\s/,]+$/)).min(1)])),
  }),
  APOLLO_KEY: variable({
    name: "APOLLO_KEY", default: null, echoValue: false, accepts: "an Apollo GraphOS API key (service:…)",
    description: "With APOLLO_GRAPH_REF: report schema and usage to Apollo GraphOS (never variables or headers). Both or neither.",
    schema: z.string().regex(/^\S+$/),
  }),
  APOLLO_GRAPH_REF: variable({
    name: "APOLLO_GRAPH_REF", default: null, accepts: "a graph ref such as my-graph@current",
    description: "The GraphOS graph and variant to report to (see APOLLO_KEY).",
    schema: z.string().regex(/^[^\s@]+@[^\s@]+$/),
  }),
  MAX_ALIASES: variable({
    name: "MAX_ALIASES", default: "15", accepts: "an integer from 1 to 1000",
    description: "Most aliases one GraphQL operation may use; more is refused before execution (GRAPHQL_VALIDATION_FAILED), so one request cannot fan out into many AWS calls.",
    schema: integer(1, 1000),
  }),
  MAX_DEPTH: variable({
    name: "MAX_DEPTH", default: "8", accepts: "an integer from 1 to 100",
    description: "Deepest field nesting an operation may have (introspection excepted); deeper is refused before execution.",
    schema: integer(1, 100),
  }),
  MAX_DIRECTIVES: variable({
    name: "MAX_DIRECTIVES", default: "10", accepts: "an integer from 1 to 1000",
    description: "Most directives an operation may use; more is refused before execution.",
    schema: integer(1, 1000),
  }),
  MAX_COST: variable({
    name: "MAX_COST", default: "1000", accepts: "an integer from 1 to 1000000",
    description: "Highest cost (graphql-armor's cost-limit: objects 2, scalars 1, ×1.5 per depth level) an operation may have; costlier is refused before execution.",
    schema: integer(1, 1_000_000),
  }),
  MAX_TOKENS: variable({
    name: "MAX_TOKENS", default: "1000", accepts: "an integer from 10 to 100000",
    description: "Most lexical tokens a GraphQL document may have; parsing stops there (GRAPHQL_PARSE_FAILED).",
    schema: integer(10, 100_000),
  }),
  MAX_BODY_BYTES: variable({
    name: "MAX_BODY_BYTES", default: "65536", accepts: "an integer from 1024 to 10485760 (bytes)",
    description: "Largest request body accepted, in bytes; larger is answered HTTP 413 (PAYLOAD_TOO_LARGE) without being read further.",
    schema: integer(1024, 10_485_760),
  }),
  TRUST_PROXY: variable({
    name: "TRUST_PROXY", default: "false", accepts: "true or false",
    description: "Whether the caller's IP (for the per-caller rate limit) comes from X-Forwarded-For. Set true only behind a proxy that overwrites that header.",
    schema: booleanWord,
  }),
  RATE_LIMIT_CALLER_PER_SECOND: variable({
    name: "RATE_LIMIT_CALLER_PER_SECOND", default: "20", accepts: "an integer from 0 to 100000 (0 = no limit)",
    description: "GraphQL requests per second one caller (client IP) may send, shared across replicas with REDIS_URL; over it: HTTP 429 RATE_LIMITED with Retry-After. 0 disables.",
    schema: integer(0, 100_000),
  }),
  RATE_LIMIT_CALLER_BURST: variable({
    name: "RATE_LIMIT_CALLER_BURST", default: "40", accepts: "an integer from 0 to 100000",
    description: "Extra requests a caller may send in a burst above RATE_LIMIT_CALLER_PER_SECOND (spent once, refilled over 10 s).",
    schema: integer(0, 100_000),
  }),
  RATE_LIMIT_APP_PER_SECOND: variable({
    name: "RATE_LIMIT_APP_PER_SECOND", default: "80", accepts: "an integer from 0 to 100000 (0 = no limit)",
    description: "CreateTokenWithIAM exchanges per second per application (clientId), shared across replicas with REDIS_URL; AWS's quota is 80/s per application. Over it: RATE_LIMITED. 0 disables.",
    schema: integer(0, 100_000),
  }),
  SHUTDOWN_TIMEOUT_MS: variable({
    name: "SHUTDOWN_TIMEOUT_MS", default: "10000", accepts: "an integer from 100 to 600000 (milliseconds)",
    description: "On SIGTERM/SIGINT: how long in-flight requests may take to finish before the process exits 1 anyway.",
    schema: integer(100, 600_000),
  }),
  REFRESH_GRACE_SECONDS: variable({
    name: "REFRESH_GRACE_SECONDS", default: "30", accepts: "an integer from 0 to 3600 (seconds)",
    description: "Grace window of a rotated refresh token: presented again this soon after its refresh, it obtains the same successor instead of INVALID_GRANT (two tabs, two replicas). 0 = off.",
    schema: integer(0, 3600),
  }),
  CACHE_MIN_TTL_SECONDS: variable({
    name: "CACHE_MIN_TTL_SECONDS", default: "300", accepts: "an integer from 0 to 86400 (seconds)",
    description: "JWT-bearer and token-exchange responses are reused while their access token keeps more than this much life (authorization codes and refreshes are never cached).",
    schema: integer(0, 86_400),
  }),
  CACHE_MAX_ENTRIES: variable({
    name: "CACHE_MAX_ENTRIES", default: "10000", accepts: "an integer from 1 to 10000000",
    description: "Most responses the process-local cache (and the memory store) keeps; least recently used go first.",
    schema: integer(1, 10_000_000),
  }),
  CACHE_MAX_BYTES: variable({
    name: "CACHE_MAX_BYTES", default: "67108864", accepts: "an integer from 1024 to 17179869184 (bytes)",
    description: "Most bytes the process-local cache (and the memory store) keeps.",
    schema: integer(1024, 17_179_869_184),
  }),
  SINGLE_FLIGHT_WAIT_MS: variable({
    name: "SINGLE_FLIGHT_WAIT_MS", default: "twice the lock lifetime (UPSTREAM_MAX_ATTEMPTS × (UPSTREAM_TIMEOUT_MS + UPSTREAM_CONNECT_TIMEOUT_MS) + 1000)",
    accepts: "an integer from 1 to 600000 (milliseconds)",
    description: "How long a request waits for an identical exchange in flight (in any replica) before UPSTREAM_UNAVAILABLE.",
    schema: integer(1, 600_000),
  }),
  REDIS_KEY_PREFIX: variable({
    name: "REDIS_KEY_PREFIX", default: "", accepts: "up to 64 characters of A-Z, a-z, 0-9, ':', '_', '-', '.'",
    description: "Prepended to every Redis key and channel, so several gateway groups can share one Redis database.",
    schema: z.string().regex(/^[A-Za-z0-9:_.-]{0,64}$/),
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;

/** The public list: name, default and description of every variable (for the README and `--help`). */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.values(VARIABLES).map(
  ({ name, default: defaultValue, description, accepts, echoValue }) => ({ name, default: defaultValue, description, accepts, echoValue }),
);

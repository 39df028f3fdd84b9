import { isIP } from "node:net";
import { z } from "zod";
import { REDIS_URL_FORMS, parseRedisUrl } from "../store/redis-url.js";
import { isBrowserOrigin } from "./browser-origin.js";

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
/** IAM role ARNs: arn:<partition>:iam::<account>:role/<path/name>. */
const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const integer = (min: number, max: number) =>
  z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));

export const applicationArn = z.string().regex(APPLICATION_ARN_PATTERN);
export const roleArn = z.string().regex(ROLE_ARN_PATTERN);

/** CREDENTIALS_MAX_DURATION_SECONDS's default: role chaining caps a session at one hour anyway. */
export const DEFAULT_CREDENTIALS_MAX_DURATION_SECONDS = 3600;

/** The AWS SDK signs with SigV4 and drops a URL's user:password@, so an endpoint with one is refused. */
const HTTP_URL_ACCEPTS = "an http:// or https:// URL without user:password@ (the AWS SDK never sends them)";

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
});

/** Every form the store connects to (standalone, Sentinel, Cluster, each with TLS): the store's own parser decides. */
const redisUrl = z.string().refine((value) => {
  try {
    parseRedisUrl(value);
    return true;
  } catch {
    return false;
  }
});

/** TRUST_PROXY: fastify's trustProxy (false, true, a hop count, or proxy addresses/CIDRs). */
export type TrustProxySetting = boolean | number | string[];

/** An IPv4/IPv6 address, optionally with a /prefix (CIDR). */
function isAddressOrCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  if (rest.length > 0 || address === undefined) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

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
  ENV_FILE: variable({
    name: "ENV_FILE", default: ".env", accepts: "a file path, or empty to read no file",
    description: "A file of KEY=value lines read at start (node's own loader) when it exists; variables already set in the environment win. Empty: no file is read.",
    schema: z.string(),
  }),
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
  METRICS_PORT: variable({
    name: "METRICS_PORT", default: null, accepts: "an integer from 0 to 65535",
    description: "Set: GET /metrics is served on this port (on HOST) and no longer on PORT, so it can stay off the public listener. Unset: /metrics on PORT.",
    schema: integer(0, 65535),
  }),
  NODE_ENV: variable({
    name: "NODE_ENV", default: "development", accepts: `one of ${NODE_ENVS.join(", ")}`,
    description: "Runtime mode. `production` requires GATEWAY_SECRET and an upstream (UPSTREAM or SSO_OIDC_ENDPOINT: the embedded emulator never starts by default), and turns introspection, the explorer, EXPOSE_CLIENT_IDS and the localhost CORS allowance off by default.",
    schema: z.enum(NODE_ENVS),
  }),
  LOG_LEVEL: variable({
    name: "LOG_LEVEL", default: "info", accepts: `one of ${LOG_LEVELS.join(", ")}`,
    description: "Minimum level of the JSON log lines written to stdout.",
    schema: z.enum(LOG_LEVELS),
  }),
  SSO_OIDC_ENDPOINT: variable({
    name: "SSO_OIDC_ENDPOINT", default: null, accepts: HTTP_URL_ACCEPTS,
    description: "SSO OIDC endpoint the SDK talks to (an emulator, a proxy). Set: wins over UPSTREAM.",
    schema: httpUrl,
  }),
  UPSTREAM: variable({
    name: "UPSTREAM", default: "embedded (required when NODE_ENV=production)", accepts: "aws or embedded",
    description: "Without SSO_OIDC_ENDPOINT: `aws` = real IAM Identity Center in AWS_REGION with the SDK's default credential chain; `embedded` = start the bundled emulator on EMULATOR_PORT. In production (NODE_ENV production) this or SSO_OIDC_ENDPOINT must be set; an explicit `embedded` there runs a demo and warns.",
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
    description: "Total attempts for retryable upstream faults (throttling, 5xx, transient); 1 = no retry. Single-use grants (authorization codes, refresh tokens) are retried only after throttling.",
    schema: integer(1, 10),
  }),
  UPSTREAM_DEADLINE_MS: variable({
    name: "UPSTREAM_DEADLINE_MS", default: "10000", accepts: "an integer from 100 to 600000 (milliseconds)",
    description: "Longest a whole exchange may take, every attempt and back-off included; then the caller gets UPSTREAM_UNAVAILABLE. A single-use grant (refresh, authorization code) still in flight then is not abandoned: its late answer is kept for the caller's retry; one AWS has already answered is delivered after the store steps that follow.",
    schema: integer(100, 600_000),
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
  ALLOWED_ROLE_ARNS: variable({
    name: "ALLOWED_ROLE_ARNS", default: null,
    accepts: "a comma-separated list of IAM role ARNs (arn:aws:iam::<account>:role/<name>)",
    description: "Roles identity-enhanced credentials may be requested for (comma-separated); DEFAULT_ROLE_ARN is always included. Unset with no DEFAULT_ROLE_ARN: awsCredentials and assumeRoleWithIdentityContext are refused (BAD_USER_INPUT).",
    schema: z
      .string()
      .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""))
      .pipe(z.array(roleArn).min(1)),
  }),
  DEFAULT_ROLE_ARN: variable({
    name: "DEFAULT_ROLE_ARN", default: "embedded: the emulator's role (arn:aws:iam::123456789012:role/IdentityCenterUser); otherwise unset",
    accepts: "an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
    description: "The role of identity-enhanced credentials when a request names none. Its trust policy must allow the gateway sts:AssumeRole and sts:SetContext.",
    schema: roleArn,
  }),
  CREDENTIALS_MAX_DURATION_SECONDS: variable({
    name: "CREDENTIALS_MAX_DURATION_SECONDS", default: String(DEFAULT_CREDENTIALS_MAX_DURATION_SECONDS), accepts: "a multiple of 300 from 900 to 43200 (seconds)",
    description: "The longest durationSeconds a caller may ask for identity-enhanced credentials (and the default). STS allows up to the role's maximum, and one hour when the gateway's own credentials are a role session (role chaining).",
    schema: integer(900, 43_200).refine((seconds) => seconds % 300 === 0),
  }),
  STS_ENDPOINT: variable({
    name: "STS_ENDPOINT", default: "SSO_OIDC_ENDPOINT when set and not an AWS host (the emulator serves both); else AWS's regional STS endpoint",
    accepts: HTTP_URL_ACCEPTS,
    description: "Where AssumeRole goes for identity-enhanced credentials, and GetCallerIdentity, which verifies the gateway's own credentials at start and while AWS refuses them (not with the embedded emulator). Defaults to SSO_OIDC_ENDPOINT unless that is an AWS host (*.amazonaws.com: then AWS's regional STS); set it when SSO_OIDC_ENDPOINT points at a proxy that does not serve STS.",
    schema: httpUrl,
  }),
  SESSION_MODE: variable({
    name: "SESSION_MODE", default: "off", accepts: "off or cookie",
    description: "off: frontends hold the tokens (createTokenWithIAM returns them). cookie: a backend-for-frontend; createTokenWithIAM starts a server-side session and sets the HttpOnly cookie __Host-idc_session, the refresh token never leaves the gateway, and session operations need the header x-idc-csrf: 1 from a CORS_ORIGINS origin (README: Session mode).",
    schema: z.enum(["off", "cookie"]),
  }),
  SESSION_EXPOSE: variable({
    name: "SESSION_EXPOSE", default: "none", accepts: "a comma-separated list of accessToken and idToken, or none",
    description: "In cookie mode, the tokens a response may still show to page scripts (createTokenWithIAM, Query.session, refreshSession). The refresh token is never shown. Identity Center's ID token carries the identity context (sts:identity_context), which makes AWS credentials through assumeRoleWithIdentityContext only with the session's own cookie (so never after the session ends); an access token is a bearer token until it expires.",
    schema: z
      .string()
      .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""))
      .pipe(z.union([z.tuple([z.literal("none")]).transform(() => [] as ("accessToken" | "idToken")[]), z.array(z.enum(["accessToken", "idToken"])).min(1)])),
  }),
  SESSION_IDLE_TIMEOUT_SECONDS: variable({
    name: "SESSION_IDLE_TIMEOUT_SECONDS", default: "3600", accepts: "an integer from 1 to 86400 (seconds)",
    description: "In cookie mode, a session no operation has used for this long ends (every session operation renews it).",
    schema: integer(1, 86_400),
  }),
  SESSION_ABSOLUTE_LIFETIME_SECONDS: variable({
    name: "SESSION_ABSOLUTE_LIFETIME_SECONDS", default: "28800", accepts: "an integer from 300 to 7776000 (seconds)",
    description: "In cookie mode, the longest a session lives from sign-in, however it is used; set it to at most Identity Center's session duration (its default is 8 hours), which bounds the refresh token. A session without a refresh token ends with its access token.",
    schema: integer(300, 7_776_000),
  }),
  SESSION_MAX_PER_USER: variable({
    name: "SESSION_MAX_PER_USER", default: "20", accepts: "an integer from 0 to 100 (0 = no limit)",
    description: "In cookie mode, the live sessions one user (application and ID token subject) may hold at once, across replicas: a sign-in past it ends that user's oldest session (one that is already over first). Keeps one caller replaying one sign-in from filling the session store (without Redis, from pushing other users' idle sessions out of it). 0 disables.",
    schema: integer(0, 100),
  }),
  SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER: variable({
    name: "SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER", default: "100", accepts: "an integer from 0 to 1000000 (0 = no limit)",
    description: "In cookie mode, the sessions without an ID token (signed in without the openid scope, so no user to count them against) one caller (client IP) may start within SESSION_ABSOLUTE_LIFETIME_SECONDS (so at most this many are alive at once), across replicas; past it the caller's sign-ins that may come without one (scope names no openid, or no scope at all) are refused with RATE_LIMITED before their exchange runs (sign-ins asking for openid go on). Raise it when many users share one address and the application does not ask for openid. 0 disables.",
    schema: integer(0, 1_000_000),
  }),
  EXPOSE_CLIENT_IDS: variable({
    name: "EXPOSE_CLIENT_IDS", default: "true (false when NODE_ENV=production)", accepts: "true or false",
    description: "Whether `Query.gateway` lists the application ARNs (defaultClientId, allowedClientIds) to any caller.",
    schema: booleanWord,
  }),
  TRUSTED_TOKEN_ISSUERS: variable({
    name: "TRUSTED_TOKEN_ISSUERS", default: null,
    accepts: "a comma-separated list of issuer identifiers (the JWT `iss` values, without spaces)",
    description: "JWT-bearer assertions whose `iss` is not listed are refused (INVALID_GRANT) before any AWS call. Unset: any issuer is sent to Identity Center, which decides.",
    schema: z
      .string()
      .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""))
      .pipe(z.array(z.string().regex(/^\S{1,2048}$/)).min(1)),
  }),
  REDIS_URL: variable({
    name: "REDIS_URL", default: null, accepts: REDIS_URL_FORMS,
    description: "Unset: state in memory (one process). Set: shared state in Redis (many replicas): one server, a Sentinel-managed primary or a Cluster (ElastiCache cluster mode: rediss+cluster://…clustercfg…:6379).",
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
  EXPLORER_EMULATOR_ACCESS: variable({
    name: "EXPLORER_EMULATOR_ACCESS", default: "loopback", accepts: "loopback or any",
    description: "Who may use the explorer's test-credential routes (minting assertions and codes from the embedded emulator): `loopback` = callers on this machine only (TCP peer 127.0.0.1 or ::1, nothing forwarded, addressed as localhost or an IP address); `any` = every caller. Never served in production.",
    schema: z.enum(["loopback", "any"]),
  }),
  CORS_ORIGINS: variable({
    name: "CORS_ORIGINS", default: "https://studio.apollographql.com (none in session mode), plus any http://localhost and http://127.0.0.1 port when NODE_ENV is not production",
    accepts: "a comma-separated list of origins exactly as browsers send them, such as https://app.example.com (scheme://host[:port]: lower-case, no wildcard, no default port, no path), or none",
    description: "Browser origins allowed to call the gateway cross-origin: without credentials in token mode, with the session cookie in session mode (SESSION_MODE=cookie), where they also pass the session's Origin check. Setting it replaces the default list; `none` allows no other origin. In session mode with NODE_ENV=production, https:// origins only (http://localhost excepted).",
    schema: z
      .string()
      .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""))
      .pipe(z.union([z.tuple([z.literal("none")]).transform(() => [] as string[]), z.array(z.string().refine(isBrowserOrigin)).min(1)])),
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
  MAX_EXCHANGES_PER_OPERATION: variable({
    name: "MAX_EXCHANGES_PER_OPERATION", default: "3", accepts: "an integer from 1 to 100",
    description: "Most distinct token exchanges one GraphQL operation may start (aliases of the same exchange count once); the rest answer BAD_USER_INPUT without reaching AWS.",
    schema: integer(1, 100),
  }),
  APQ_MAX_DOCUMENT_BYTES: variable({
    name: "APQ_MAX_DOCUMENT_BYTES", default: "16384", accepts: "an integer from 256 to 1048576 (bytes)",
    description: "Largest document an automatic persisted query may register; a larger one is executed but not stored.",
    schema: integer(256, 1_048_576),
  }),
  APQ_MAX_ENTRIES: variable({
    name: "APQ_MAX_ENTRIES", default: "1000", accepts: "an integer from 0 to 1000000 (0 = persisted queries off)",
    description: "Most persisted-query documents kept (per process in memory; across replicas in Redis), in their own budget apart from token state: registrations beyond it are executed but not stored.",
    schema: integer(0, 1_000_000),
  }),
  APQ_MAX_ENTRIES_PER_CALLER: variable({
    name: "APQ_MAX_ENTRIES_PER_CALLER", default: "50", accepts: "an integer from 0 to 1000000 (0 = no per-caller bound)",
    description: "Most persisted-query documents one caller (an IPv4 address, an IPv6 network of IPV6_CALLER_PREFIX_LENGTH bits) may add to the table per APQ_TTL_SECONDS (counted across replicas with Redis): its further registrations are executed but not stored, so one caller cannot fill APQ_MAX_ENTRIES.",
    schema: integer(0, 1_000_000),
  }),
  APQ_TTL_SECONDS: variable({
    name: "APQ_TTL_SECONDS", default: "86400", accepts: "an integer from 1 to 2592000 (seconds)",
    description: "How long a registered persisted query is kept.",
    schema: integer(1, 2_592_000),
  }),
  IPV6_CALLER_PREFIX_LENGTH: variable({
    name: "IPV6_CALLER_PREFIX_LENGTH", default: "56", accepts: "an integer from 32 to 128 (bits)",
    description: "How much of an IPv6 address names one caller for every per-caller bound (rate limits, upstream budget, connections, persisted queries): a /56, what ISPs commonly give one customer. Counted by /64, one customer was 256 callers. 64 counts each /64; 48 a whole site.",
    schema: integer(32, 128),
  }),
  IPV6_NETWORK_PREFIX_LENGTH: variable({
    name: "IPV6_NETWORK_PREFIX_LENGTH", default: "48", accepts: "an integer from 16 to 128 (bits), not more than IPV6_CALLER_PREFIX_LENGTH",
    description: "The IPv6 network whose callers share IPV6_NETWORK_CALLERS callers' worth of every per-caller bound: a /48, what anyone can get free (256 /56 callers). A value no shorter than IPV6_CALLER_PREFIX_LENGTH turns the network bounds off.",
    schema: integer(16, 128),
  }),
  IPV6_NETWORK_CALLERS: variable({
    name: "IPV6_NETWORK_CALLERS", default: "4", accepts: "an integer from 0 to 100000 (0 = no network bounds)",
    description: "How many callers' worth of each per-caller bound (request and upstream rate limits, connections, parsing turns, persisted queries, sessions without an ID token) all the IPv6 callers of one network of IPV6_NETWORK_PREFIX_LENGTH bits get together, on top of each caller's own. IPv4 callers have no network bound. 0 = off.",
    schema: integer(0, 100_000),
  }),
  TRUST_PROXY: variable({
    name: "TRUST_PROXY", default: "false",
    accepts: "false, true, a hop count from 1 to 10, or a comma-separated list of proxy addresses or CIDRs (10.0.0.0/8, ::1)",
    description: "Where the caller's IP (rate limits, connection caps) comes from. `false`: the socket. A hop count n: the n-th address from the right of X-Forwarded-For (your n proxies append). A list: addresses of your proxies, skipped from the right. `true` trusts the leftmost X-Forwarded-For entry, which a caller controls behind any proxy that appends (ALB, nginx $proxy_add_x_forwarded_for): unsafe there.",
    schema: z.string().transform((value, context): TrustProxySetting => {
      if (value === "true") return true;
      if (value === "false") return false;
      if (/^\d+$/.test(value)) {
        const hops = Number(value);
        if (hops >= 1 && hops <= 10) return hops;
      } else {
        const entries = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
        if (entries.length > 0 && entries.every(isAddressOrCidr)) return entries;
      }
      context.issues.push({ code: "custom", message: "bad TRUST_PROXY", input: value });
      return z.NEVER;
    }),
  }),
  MAX_CONNECTIONS: variable({
    name: "MAX_CONNECTIONS", default: "900", accepts: "an integer from 1 to 1000000",
    description: "Most open client connections the gateway holds at once (kept below the process's file-descriptor limit, with room for AWS and Redis connections); further connections are closed at once.",
    schema: integer(1, 1_000_000),
  }),
  MAX_CONNECTIONS_PER_ADDRESS: variable({
    name: "MAX_CONNECTIONS_PER_ADDRESS", default: "64", accepts: "an integer from 0 to 1000000 (0 = no per-address cap)",
    description: "Most open connections from one remote address, an IPv6 peer counted by its network of IPV6_CALLER_PREFIX_LENGTH bits (trusted proxies from TRUST_PROXY excepted); further connections from it are closed at once.",
    schema: integer(0, 1_000_000),
  }),
  MAX_PARSING_PER_CALLER: variable({
    name: "MAX_PARSING_PER_CALLER", default: "4", accepts: "an integer from 0 to 100000 (0 = off)",
    description: "Most JSON request bodies (and GraphQL GET requests) of one caller (client IP, as the rate limits count it) the gateway parses and works on between two polls of its sockets (until each first waits on AWS or Redis), fewer when they run long (once a caller's requests have run 5 ms in one turn, its next ones start after the next poll); the caller's further requests wait for its next turn, so one caller's burst of costly requests cannot hold the process while others wait. Up to 256 × this many requests, and 16 × this many × MAX_BODY_BYTES of them, may wait; one more is refused HTTP 429 RATE_LIMITED. 0 = off.",
    schema: integer(0, 100_000),
  }),
  MAX_PIPELINED_REQUESTS: variable({
    name: "MAX_PIPELINED_REQUESTS", default: "8", accepts: "an integer from 0 to 100000 (0 = no bound)",
    description: "Most requests one connection may have unanswered at once (HTTP/1.1 pipelining); a client pipelining deeper has its connection closed, the requests past this never parsed. Browsers and the usual HTTP clients never pipeline. 0 = no bound.",
    schema: integer(0, 100_000),
  }),
  HEADERS_TIMEOUT_MS: variable({
    name: "HEADERS_TIMEOUT_MS", default: "5000", accepts: "an integer from 100 to 120000 (milliseconds)",
    description: "How long a client may take to send a request's headers (and an idle keep-alive connection may stay open) before the connection is closed.",
    schema: integer(100, 120_000),
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
  RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: variable({
    name: "RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND", default: "2", accepts: "an integer from 0 to 100000 (0 = no limit)",
    description: "Calls per second one caller (client IP) may send on to AWS: exchanges and STS AssumeRole for credentials (cache hits, grace answers and joined requests are free), shared across replicas with REDIS_URL; over it: RATE_LIMITED. Keeps one caller from spending the application's AWS quota. 0 disables.",
    schema: integer(0, 100_000),
  }),
  RATE_LIMIT_CALLER_UPSTREAM_BURST: variable({
    name: "RATE_LIMIT_CALLER_UPSTREAM_BURST", default: "10", accepts: "an integer from 0 to 100000",
    description: "Extra upstream exchanges a caller may make in a burst above RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND (refilled over 10 s).",
    schema: integer(0, 100_000),
  }),
  RATE_LIMIT_STS_PER_SECOND: variable({
    name: "RATE_LIMIT_STS_PER_SECOND", default: "100", accepts: "an integer from 0 to 100000 (0 = no limit)",
    description: "STS AssumeRole calls per second the whole gateway may make for identity-enhanced credentials (every caller and replica together; cache hits, joined requests and remembered refusals are free), shared across replicas with REDIS_URL; over it: RATE_LIMITED. AWS's STS quota (600/s per account and Region by default) is shared by everything in the gateway's account: the default leaves it five sixths. 0 disables.",
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
  REFRESH_REUSE_DETECTION: variable({
    name: "REFRESH_REUSE_DETECTION", default: "true", accepts: "true or false",
    description: "A rotated refresh token presented after its successor was itself used is a reuse (a stolen token): answer INVALID_GRANT and refuse the whole token family on every replica. false: only the grace window applies.",
    schema: booleanWord,
  }),
  REFRESH_FAMILY_TTL_SECONDS: variable({
    name: "REFRESH_FAMILY_TTL_SECONDS", default: "2592000", accepts: "an integer from 60 to 31536000 (seconds), not less than REFRESH_GRACE_SECONDS while REFRESH_REUSE_DETECTION is on",
    description: "How long the gateway remembers a refresh-token family (rotated tokens, revocations) after its last refresh; set it to at least your refresh tokens' lifetime, and not much more (typically Identity Center's session duration, 8 hours by default), and every abandoned family keeps ~0.6 KB in the store this long (a caller refreshing within its upstream budget leaves ~50 MB a day).",
    schema: integer(60, 31_536_000),
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

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
} as const;

export type VariableName = keyof typeof VARIABLES;

/** The public list: name, default and description of every variable (for the README and `--help`). */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.values(VARIABLES).map(
  ({ name, default: defaultValue, description, accepts, echoValue }) => ({ name, default: defaultValue, description, accepts, echoValue }),
);

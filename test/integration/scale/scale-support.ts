/**
 * Shared pieces of the multi-replica tests: N real gateway processes (`src/main.ts`) on one Redis,
 * all pointed at one in-process emulator, sharing one GATEWAY_SECRET and a key prefix unique to
 * the test file (deleted afterwards).
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { graphql, type GraphQLResult } from "../../support/gateway-client.js";
import type { TestEmulator } from "../../support/emulator-harness.js";

export interface ReplicaGroupOptions {
  emulator: TestEmulator;
  redisUrl: string;
  keyPrefix: string;
  /** Extra gateway variables (all replicas). */
  env?: Record<string, string>;
}

/** The variables every replica of a group shares. */
export function replicaEnvironment(options: ReplicaGroupOptions, secret: string): Record<string, string | undefined> {
  const { emulator } = options;
  return {
    SSO_OIDC_ENDPOINT: emulator.url,
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
    DEFAULT_CLIENT_ID: emulator.defaultClientId,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
    GATEWAY_SECRET: secret,
    // Storms come from one caller address: the caller rate limit is not what these tests measure.
    RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
    RATE_LIMIT_APP_PER_SECOND: "0",
    ...options.env,
  };
}

export async function startReplicas(count: number, options: ReplicaGroupOptions): Promise<{ replicas: GatewayProcess[]; secret: string }> {
  const secret = `scale-test-${randomBytes(24).toString("hex")}`;
  const env = replicaEnvironment(options, secret);
  const starts = await Promise.allSettled(Array.from({ length: count }, () => startGateway({ env })));
  const replicas = starts.flatMap((start) => (start.status === "fulfilled" ? [start.value] : []));
  const failed = starts.find((start): start is PromiseRejectedResult => start.status === "rejected");
  if (failed !== undefined) {
    // The ones that started would otherwise outlive the test (one did, spinning against the Cluster stopped after it).
    await Promise.all(replicas.map((replica) => replica.stop()));
    throw failed.reason;
  }
  return { replicas, secret };
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
}

const TOKEN_SELECTION = /* GraphQL */ `{ accessToken refreshToken idToken }`;
const EXCHANGE = /* GraphQL */ `
  mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) ${TOKEN_SELECTION} }
`;
const REFRESH = /* GraphQL */ `
  mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) ${TOKEN_SELECTION} }
`;

export function jwtBearer(replica: GatewayProcess, assertion: string): Promise<GraphQLResult<{ createTokenWithIAM: IssuedTokens }>> {
  return graphql(replica.url, EXCHANGE, { input: { grantType: "JWT_BEARER", assertion } });
}

export function refresh(replica: GatewayProcess, refreshToken: string): Promise<GraphQLResult<{ refreshToken: IssuedTokens }>> {
  return graphql(replica.url, REFRESH, { input: { refreshToken } });
}

/** Every key under `prefix` with its raw value (strings only; other types are listed with an empty value). */
export async function dumpKeys(redis: Redis, prefix: string): Promise<Array<{ key: string; value: Buffer }>> {
  const entries: Array<{ key: string; value: Buffer }> = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value = type === "string" ? await redis.getBuffer(key) : Buffer.from(JSON.stringify(type === "hash" ? await redis.hgetall(key) : await redis.dump(key)));
      entries.push({ key, value: value ?? Buffer.alloc(0) });
    }
  } while (cursor !== "0");
  return entries;
}

import { programs } from "./build.js";
import { randomBytes } from "node:crypto";
import { EMULATOR_CREDENTIALS, REGION, spawnBenchProcess, type BenchProcess } from "./processes.js";

/** Fresh per bench run, so its Redis keys (HMAC-derived) never meet another run's. */
const BENCH_GATEWAY_SECRET = randomBytes(32).toString("hex");

/**
 * The gateway as production runs it (`node dist/main.js`, see build.ts), pointed at the bench's emulator
 * through SSO_OIDC_ENDPOINT and signing with the emulator's credentials. LOG_LEVEL stays at the
 * default (info: one line per request), written to a file as a log shipper would read it.
 * Every other setting keeps its default except the rate limits and EXPOSE_CLIENT_IDS below.
 */

export interface GatewayOptions {
  name: string;
  emulatorUrl: string;
  env?: Record<string, string | undefined>;
  /** Extra Node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

/**
 * Applications the bench gateway allows: its default and 23 more, so that `{ gateway { allowedClientIds } }`
 * answers about as many bytes as (b)'s cache hit (~1.9 KB; run.ts checks it is within 10%).
 */
export const FLOOR_CLIENT_IDS = [
  "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222",
  ...Array.from({ length: 23 }, (_, i) => `arn:aws:sso::123456789012:application/ssoins-111111111111/apl-9999999999${String(i).padStart(2, "0")}`),
];

export function startBenchGateway(options: GatewayOptions): Promise<BenchProcess> {
  return spawnBenchProcess({
    name: options.name,
    args: programs().gateway(options.nodeFlags),
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      // As deployed: production mode (introspection off, no stack traces, graphql-js's production
      // instanceOf), which requires a GATEWAY_SECRET. Replicas of one run share this one.
      NODE_ENV: "production",
      GATEWAY_SECRET: BENCH_GATEWAY_SECRET,
      LOG_LEVEL: "info",
      SSO_OIDC_ENDPOINT: options.emulatorUrl,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      // One load generator stands for many callers: a per-IP limit would measure 429s, not the gateway.
      RATE_LIMIT_CALLER_PER_SECOND: "0",
      // Likewise its per-caller upstream budget (2/s by default) would cap every distinct exchange.
      RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
      // The per-application guard (AWS's 80/s quota) would cap (a) at 80/s; (e) turns it back on.
      RATE_LIMIT_APP_PER_SECOND: "0",
      // And the per-address connection cap (64): (c), (d) and (creds) open 100–150 connections at once from
      // this one address, and the cap refused the ones past 64 (FETCH_FAILED) instead of letting them join.
      MAX_CONNECTIONS_PER_ADDRESS: "0",
      // The b-floor reference reads this list back as an answer as long as (b)'s (graphql-bodies.ts
      // sizeFloorBody); an exchange checks its clientId against it either way.
      ALLOWED_CLIENT_IDS: FLOOR_CLIENT_IDS.join(","),
      // Production hides that list (answers null) by default; b-floor needs it answered. It changes
      // nothing on an exchange's path.
      EXPOSE_CLIENT_IDS: "true",
      // BENCH_GATEWAY_ENV='{"CACHE_MAX_ENTRIES":"500"}': settings to try on every bench gateway (an A/B of a setting).
      ...(process.env.BENCH_GATEWAY_ENV ? (JSON.parse(process.env.BENCH_GATEWAY_ENV) as Record<string, string>) : {}),
      ...options.env,
    },
    // pino writes `msg` last: {"level":30,…,"url":"http://…/graphql",…,"msg":"gateway ready"}
    ready: /"url":"([^"]+)"[^\n]*"msg":"gateway ready"/,
  });
}

/** The naive reference gateway (bench/naive-gateway.ts): Apollo + one SDK call per request. */
export function startNaiveGateway(emulatorUrl: string, nodeFlags: string[] = []): Promise<BenchProcess> {
  return spawnBenchProcess({
    name: "naive-gateway",
    args: programs().naiveGateway(nodeFlags),
    env: {
      PORT: "0",
      NODE_ENV: "production",
      SSO_OIDC_ENDPOINT: emulatorUrl,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    },
    ready: /naive gateway ready at (http:\/\/[^\s]+)/,
  });
}

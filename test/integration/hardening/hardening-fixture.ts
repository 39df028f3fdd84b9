import "reflect-metadata";
import { afterAll, afterEach, beforeAll } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import type { GatewayConfig } from "../../../src/config/config.types.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayMetrics, type GatewayMetrics } from "../../../src/metrics/metrics.js";
import { createRateLimits, type RateLimits } from "../../../src/ratelimit/index.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { createMemoryStore } from "../../../src/store/index.js";
import { createTokenService } from "../../../src/tokens/index.js";
import { createUpstream, type Upstream } from "../../../src/upstream/index.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";

/**
 * An in-process gateway (the real server, token service and upstream) in front of a test
 * emulator, configured through the same environment variables a user sets. Each test file
 * starts the servers it needs with their own limits; the emulator's stats are our `calls`.
 */
export interface HardenedGateway {
  url: string;
  origin: string;
  config: GatewayConfig;
  metrics: GatewayMetrics;
  server: GatewayServer;
  stop(): Promise<void>;
}

const logger = createLogger({ level: "silent" });

export async function startHardenedGateway(emulator: TestEmulator, env: Record<string, string> = {}, options: { rateLimitKeyPrefix?: string } = {}): Promise<HardenedGateway> {
  const config = loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    SSO_OIDC_ENDPOINT: emulator.url,
    AWS_REGION: emulator.region,
    DEFAULT_CLIENT_ID: emulator.defaultClientId,
    GATEWAY_SECRET: "hardening-secret-hardening-secret-0",
    UPSTREAM_MAX_ATTEMPTS: "1",
    ...env,
  });
  const metrics = createGatewayMetrics({ collectDefaults: false });
  const upstream: Upstream = createUpstream({
    region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials,
    timeoutMs: config.upstreamTimeoutMs, connectTimeoutMs: config.upstreamConnectTimeoutMs, maxAttempts: 1, logger,
  });
  const rateLimits: RateLimits = createRateLimits({ config, redisUrl: config.redisUrl, logger, metrics, ...(options.rateLimitKeyPrefix ? { keyPrefix: options.rateLimitKeyPrefix } : {}) });
  const tokenService = createTokenService({ config, upstream, logger, store: createMemoryStore(), applicationRateLimit: rateLimits.application, callerUpstreamRateLimit: rateLimits.callerUpstream });
  const server = await createGatewayServer({
    config, tokenService, logger, upstreamLabel: "test emulator", metrics, ...(rateLimits.caller ? { callerRateLimit: rateLimits.caller } : {}),
  });
  const { url } = await server.listen(0, "127.0.0.1");
  return {
    url,
    origin: new URL(url).origin,
    config,
    metrics,
    server,
    async stop() {
      await server.close();
      await rateLimits.close();
      upstream.destroy();
    },
  };
}

/** The current value of `rejections{reason}`. */
export async function rejections(metrics: GatewayMetrics, reason: string): Promise<number> {
  const metric = await metrics.rejections.get();
  return metric.values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

/** A createTokenWithIAM selection for a JWT-bearer grant, aliased as `alias`. */
export function exchange(alias: string, assertion: string, selection = "accessToken"): string {
  return `${alias}: createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: ${JSON.stringify(assertion)} }) { ${selection} }`;
}

/**
 * One emulator for a test file and gateways started per test (each with its own settings), all
 * stopped after each test: the lifecycle of the files that compare settings side by side.
 */
export function useGatewaysPerTest(): { emulator: () => TestEmulator; start: (env: Record<string, string>) => Promise<HardenedGateway> } {
  let emulator: TestEmulator | undefined;
  const gateways: HardenedGateway[] = [];
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  return {
    emulator: () => emulator!,
    async start(env) {
      const gateway = await startHardenedGateway(emulator!, env);
      gateways.push(gateway);
      return gateway;
    },
  };
}

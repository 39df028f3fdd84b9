import { Writable } from "node:stream";
import type { GatewayConfig } from "../../../src/config/config.types.js";
import { createLogger, type Logger } from "../../../src/logging/logger.js";
import type { GatewayMetrics } from "../../../src/metrics/metrics.js";
import { createGatewayServer, type GatewayServer, type TokenService } from "../../../src/server/index.js";
import type { IssuedToken, RequestTokenService, TokenRequest } from "../../../src/tokens/token.types.js";

export const DEFAULT_CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

export function testConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    port: 0,
    host: "127.0.0.1",
    nodeEnv: "test",
    logLevel: "info",
    upstream: { mode: "endpoint", endpoint: "http://127.0.0.1:1", region: "eu-west-1" },
    upstreamTimeoutMs: 5000,
    upstreamConnectTimeoutMs: 2000,
    upstreamMaxAttempts: 3,
    upstreamDeadlineMs: 10_000,
    defaultClientId: DEFAULT_CLIENT_ID,
    allowedClientIds: [DEFAULT_CLIENT_ID],
    exposeClientIds: true,
    trustedTokenIssuers: undefined,
    metricsPort: undefined,
    redisUrl: undefined,
    gatewaySecret: Buffer.alloc(32, 7),
    gatewaySecretGenerated: false,
    introspection: true,
    explorer: false,
    explorerEmulatorAccess: "loopback",
    cors: { origins: [], allowLocalhost: false },
    apolloReporting: undefined,
    operationLimits: { maxAliases: 15, maxDepth: 8, maxDirectives: 10, maxCost: 1000, maxTokens: 1000, maxBodyBytes: 65_536 },
    rateLimits: { applicationPerSecond: 0, callerPerSecond: 0, callerBurst: 0 },
    trustProxy: false,
    connections: { maxConnections: 900, maxConnectionsPerAddress: 0, maxParsingPerCaller: 0, headersTimeoutMs: 5000 },
    persistedQueries: { maxDocumentBytes: 16_384, maxEntries: 1000, ttlSeconds: 86_400 },
    shutdownTimeoutMs: 10_000,
    ...overrides,
  };
}

/** A logger whose JSON lines are kept in memory, so tests can assert what was (not) logged. */
export function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level: "info", destination });
  const text = () => chunks.join("");
  const lines = () => text().split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, text };
}

export type FakeCall = ["createToken", TokenRequest] | ["refresh", Parameters<RequestTokenService["refresh"]>[0]];

/**
 * A TokenService whose every request answers with `answer(call)` (a value, or a thrown error),
 * recording the calls made and how many per-request services were created.
 */
export function fakeTokenService(answer: (call: FakeCall) => IssuedToken | Promise<IssuedToken>) {
  const calls: FakeCall[] = [];
  let requestServices = 0;
  const tokenService: TokenService = {
    forRequest() {
      requestServices += 1;
      return {
        async createToken(request) {
          const call: FakeCall = ["createToken", request];
          calls.push(call);
          return answer(call);
        },
        async keepUndelivered() {},
        delivered() {},
        undelivered() {},
        async refresh(request) {
          const call: FakeCall = ["refresh", request];
          calls.push(call);
          return answer(call);
        },
      };
    },
  };
  return { tokenService, calls, requestServices: () => requestServices };
}

export function jwt(payload: unknown): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "RS256", kid: "k1" })}.${encode(payload)}.c2lnbmF0dXJl`;
}

export async function postGraphQL(url: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

/** An issued token as the token service returns it: for server tests about the request, not the exchange. */
export const FIXED_TOKEN: IssuedToken = {
  issuedAt: Date.parse("2026-12-01T12:00:00Z"), clientId: DEFAULT_CLIENT_ID, accessToken: "aoa-access", tokenType: "Bearer", expiresIn: 3600,
};

export interface InProcessGateway {
  url: string;
  server: GatewayServer;
  /** The token service calls the requests made (every request that got past the server's refusals). */
  calls: FakeCall[];
}

/**
 * A gateway server in this process on an ephemeral port, answering every exchange with FIXED_TOKEN:
 * for the server's own refusals (limits, operation resolution), which must happen before any call.
 */
export async function startInProcessGateway(options: { config?: Partial<GatewayConfig>; metrics?: GatewayMetrics } = {}): Promise<InProcessGateway> {
  const { tokenService, calls } = fakeTokenService(() => FIXED_TOKEN);
  const server = await createGatewayServer({
    config: testConfig(options.config), tokenService, logger: capturingLogger().logger, upstreamLabel: "fake", ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const { url } = await server.listen(0, "127.0.0.1");
  return { url, server, calls };
}

/**
 * Runs `use` against a gateway started for it and closes it after. Started inside the test, not in a
 * beforeAll: mutation testing credits code to the test that ran it, and the server's setup (limits,
 * plugins) then counts as reached by the tests that depend on it.
 */
export async function withInProcessGateway<T>(options: Parameters<typeof startInProcessGateway>[0], use: (gateway: InProcessGateway) => Promise<T>): Promise<T> {
  const gateway = await startInProcessGateway(options);
  try {
    return await use(gateway);
  } finally {
    await gateway.server.close();
  }
}

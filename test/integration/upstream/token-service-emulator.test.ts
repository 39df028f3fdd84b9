import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../../src/config/config.types.js";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createTokenService, type TokenService } from "../../../src/tokens/index.js";
import { createUpstream, type Upstream } from "../../../src/upstream/index.js";

let emulator: RunningEmulator;
let upstream: Upstream;
let service: TokenService;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  const logger = createLogger({ level: "silent" });
  const config: GatewayConfig = {
    port: 0, host: "127.0.0.1", nodeEnv: "test", logLevel: "silent",
    upstream: { mode: "endpoint", endpoint: emulator.url, region: emulator.region },
    upstreamTimeoutMs: 2000, upstreamConnectTimeoutMs: 1000, upstreamMaxAttempts: 3,
    defaultClientId: emulator.defaultClientId, allowedClientIds: [emulator.defaultClientId], redisUrl: undefined,
    gatewaySecret: Buffer.from("integration-secret-integration-secret"), gatewaySecretGenerated: false, introspection: true,
    operationLimits: { maxAliases: 15, maxDepth: 8, maxDirectives: 10, maxCost: 1000, maxTokens: 1000, maxBodyBytes: 65_536 },
    rateLimits: { applicationPerSecond: 0, callerPerSecond: 0, callerBurst: 0 }, trustProxy: false, shutdownTimeoutMs: 10_000,
  };
  upstream = createUpstream({ region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials, timeoutMs: 2000, connectTimeoutMs: 1000, maxAttempts: 3, logger });
  service = createTokenService({ config, upstream, logger });
});
afterEach(async () => {
  await devApi("POST", "/_emulator/reset");
});
afterAll(async () => {
  upstream.destroy();
  await emulator.stop();
});

async function devApi(method: "GET" | "POST", path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${emulator.url}${path}`, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}`);
  return response.json();
}
const upstreamCalls = async (): Promise<number> => (await devApi("GET", "/_emulator/stats")).calls.CreateTokenWithIAM;
const mintAssertion = async (): Promise<string> => (await devApi("POST", "/_emulator/assertions", { sub: "alice" })).assertion;

describe("token service over the emulator", () => {
  it("costs one upstream call for three identical JWT-bearer exchanges in one request", async () => {
    const assertion = await mintAssertion();
    const tokens = service.forRequest();
    const results = await Promise.all([1, 2, 3].map(() => tokens.createToken({ grantType: "JWT_BEARER", assertion })));
    expect(new Set(results.map((token) => token.accessToken)).size).toBe(1);
    expect(await upstreamCalls()).toBe(1);
  });

  it("refreshes a rotating refresh token twice in one request without invalidating it: one call, one answer", async () => {
    const issued = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    const tokens = service.forRequest();
    const [a, b] = await Promise.all([tokens.refresh({ refreshToken: issued.refreshToken ?? "" }), tokens.refresh({ refreshToken: issued.refreshToken ?? "" })]);
    expect(a.accessToken).toBe(b.accessToken);
    expect(a.refreshToken).not.toBe(issued.refreshToken);
    expect(await upstreamCalls()).toBe(2);
  });

  it("rejects invalid input without any upstream call", async () => {
    await expect(service.forRequest().createToken({ grantType: "AUTHORIZATION_CODE", code: "c" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "input.redirectUri" } });
    expect(await upstreamCalls()).toBe(0);
  });

  it("maps the emulator's InvalidGrantException for a reused refresh token", async () => {
    const issued = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    await service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    await expect(service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" })).rejects.toMatchObject({ code: "INVALID_GRANT", details: { awsException: "InvalidGrantException" } });
  });
});

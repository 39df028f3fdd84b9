import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { dataOf, graphql } from "../../support/gateway-client.js";
import { CREATE_TOKEN, REFRESH_TOKEN, type TokenResponse } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { findFreePort, rawRedis, startRedisServer, type RedisServerProcess } from "../store/redis-test-support.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";

/**
 * Persisted queries have their own bounded budget (APQ_MAX_ENTRIES × APQ_MAX_DOCUMENT_BYTES) and
 * store: a flood of registrations cannot evict token state in memory, nor fill Redis until it
 * refuses the token writes exchanges need. Real gateway processes, a private redis-server.
 */

const FLOOD = 150;

/** A distinct document padded with a comment (bytes without tokens), as an attacker would. */
function floodDocument(n: number, padBytes: number): string {
  return `query Flood${n} { __typename } # ${"x".repeat(padBytes)}`;
}

async function register(url: string, query: string): Promise<number> {
  const sha256Hash = createHash("sha256").update(query).digest("hex");
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** How many of the flood's documents the gateway can run by hash alone (i.e. kept). */
async function persistedCount(url: string, documents: string[]): Promise<number> {
  let kept = 0;
  for (const query of documents) {
    const sha256Hash = createHash("sha256").update(query).digest("hex");
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash } } }),
    });
    const body = (await response.json()) as { data?: unknown };
    if (body.data !== undefined) kept += 1;
  }
  return kept;
}

async function exchange(gateway: GatewayProcess): Promise<TokenResponse> {
  const assertion = await emulatorApi(gateway.emulatorUrl as string).mintAssertion({ sub: "alice" });
  const result = await graphql<{ createTokenWithIAM: TokenResponse }>(gateway.url, CREATE_TOKEN, { input: { grantType: "JWT_BEARER", assertion } });
  return dataOf(result).createTokenWithIAM;
}

async function refresh(gateway: GatewayProcess, refreshToken: string): Promise<TokenResponse> {
  return dataOf(await graphql<{ refreshToken: TokenResponse }>(gateway.url, REFRESH_TOKEN, { input: { refreshToken } })).refreshToken;
}

describe("memory mode: a flood of persisted queries", () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({
      env: {
        HOST: "127.0.0.1", RATE_LIMIT_CALLER_PER_SECOND: "0",
        // A token store small enough that sharing it with the flood would evict the grace entry.
        CACHE_MAX_ENTRIES: "20", APQ_MAX_ENTRIES: "20", APQ_MAX_DOCUMENT_BYTES: "8192",
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("leaves a refresh-grace successor servable and keeps at most APQ_MAX_ENTRIES documents", async () => {
    const emulator = emulatorApi(gateway.emulatorUrl as string);
    const issued = await exchange(gateway);
    const tabA = await refresh(gateway, issued.refreshToken as string);

    const documents = Array.from({ length: FLOOD }, (_, n) => floodDocument(n, 4000));
    for (const document of documents) expect(await register(gateway.url, document)).toBe(200);

    // The second tab presents the same (now rotated) refresh token: the grace window still has its successor.
    const tabB = await refresh(gateway, issued.refreshToken as string);
    expect(tabB.refreshToken).toBe(tabA.refreshToken);
    expect(tabB.accessToken).toBe(tabA.accessToken);
    expect((await emulator.stats()).calls.CreateTokenWithIAM).toBe(2);

    const kept = await persistedCount(gateway.url, documents);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(20);

    const metrics = await (await fetch(new URL("/metrics", gateway.url))).text();
    const registrations = (outcome: string) => Number(metrics.match(new RegExp(`^idc_gateway_persisted_query_registrations_total\\{outcome="${outcome}"\\} (\\d+)$`, "m"))?.[1] ?? 0);
    expect(registrations("stored")).toBe(kept);
    expect(registrations("stored") + registrations("budget_full")).toBe(FLOOD);
  });
});

describeNeeding(probeRedisServerBinary(), "Redis mode with a small maxmemory (noeviction): a flood of persisted queries", () => {
  let redis: RedisServerProcess;
  let gateway: GatewayProcess;
  const prefix = "apq-budget:";
  const APQ_MAX_ENTRIES = 40;

  beforeAll(async () => {
    redis = await startRedisServer(await findFreePort());
    const admin = rawRedis(redis.url);
    // ~1 MB is used by an empty server; 4 MB leaves room for token state but not for an unbounded flood (~6 MB).
    await admin.config("SET", "maxmemory", "4mb");
    await admin.config("SET", "maxmemory-policy", "noeviction");
    admin.disconnect();
    gateway = await startGateway({
      env: {
        HOST: "127.0.0.1", RATE_LIMIT_CALLER_PER_SECOND: "0", REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix,
        GATEWAY_SECRET: "apq-budget-test-secret-apq-budget-0001", APQ_MAX_ENTRIES: String(APQ_MAX_ENTRIES), APQ_MAX_DOCUMENT_BYTES: "16384",
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  it("never makes exchanges fail, and Redis holds at most APQ_MAX_ENTRIES documents", async () => {
    const documents = Array.from({ length: FLOOD * 2 }, (_, n) => floodDocument(n, 15_000));
    for (const document of documents) expect(await register(gateway.url, document)).toBe(200);

    const issued = await exchange(gateway);
    const refreshed = await refresh(gateway, issued.refreshToken as string);
    expect(refreshed.accessToken).toEqual(expect.any(String));

    const admin = rawRedis(redis.url);
    try {
      const keys = await admin.keys(`${prefix}idc:v1:persisted-query:doc:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.length).toBeLessThanOrEqual(APQ_MAX_ENTRIES);
    } finally {
      admin.disconnect();
    }
  });

  it("executes a registration Redis refuses (out of memory), and reports the refusing store instead of failing the request", async () => {
    const admin = rawRedis(redis.url);
    try {
      // Redis over its maxmemory (another tenant's data, a smaller instance): every write is refused.
      await admin.config("SET", "maxmemory", "1mb");
      expect(await admin.set("probe", "x").then(() => "stored", (error: Error) => error.message)).toMatch(/^OOM /);
      const document = `query Refused { __typename } # ${"y".repeat(1000)}`;
      expect(await register(gateway.url, document)).toBe(200);
      // A refused write is a store failure: the persisted-query store says so once and keeps documents in its own bounded memory meanwhile.
      await gateway.waitForOutput(/store degraded: redis refuses writes/);
    } finally {
      await admin.config("SET", "maxmemory", "4mb");
      admin.disconnect();
    }
  });
});

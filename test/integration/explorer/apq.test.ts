import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APQ_KEY_NAMESPACE, createStoreApqCache } from "../../../src/server/apq-cache.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { createMemoryStore, type Store } from "../../../src/store/index.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { capturingLogger, fakeTokenService, testConfig } from "../../unit/server/server-fixtures.js";
import { deleteKeysWithPrefix, isSharedRedisReachable, rawRedis, SHARED_REDIS_URL, uniqueKeyPrefix, warnRedisMissing } from "../store/redis-test-support.js";

/**
 * Automatic persisted queries: a frontend sends a document's SHA-256 once with the document, then
 * the hash alone. The documents live in the gateway's Store, so with Redis every replica knows them.
 */

const QUERY = "query GatewayVersion { gateway { version upstreamMode } }";
const HASH = createHash("sha256").update(QUERY).digest("hex");

interface GraphQLAnswer {
  status: number;
  body: { data?: { gateway?: { version: string } }; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function send(url: string, payload: { query?: string; hash?: string }): Promise<GraphQLAnswer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...(payload.query === undefined ? {} : { query: payload.query }),
      ...(payload.hash === undefined ? {} : { extensions: { persistedQuery: { version: 1, sha256Hash: payload.hash } } }),
    }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLAnswer["body"] };
}

const noExchanges = () => fakeTokenService(() => {
  throw new Error("no exchange in these tests");
}).tokenService;

describe("automatic persisted queries in one gateway", () => {
  const servers: GatewayServer[] = [];
  let store: Store;
  let storeUrl: string;
  let defaultUrl: string;

  beforeAll(async () => {
    store = createMemoryStore();
    const withStore = await createGatewayServer({ config: testConfig(), tokenService: noExchanges(), logger: capturingLogger().logger, upstreamLabel: "fake", store });
    const withoutStore = await createGatewayServer({ config: testConfig(), tokenService: noExchanges(), logger: capturingLogger().logger, upstreamLabel: "fake" });
    servers.push(withStore, withoutStore);
    storeUrl = (await withStore.listen(0, "127.0.0.1")).url;
    defaultUrl = (await withoutStore.listen(0, "127.0.0.1")).url;
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await store?.close();
  });

  it("answers an unknown hash PERSISTED_QUERY_NOT_FOUND, runs hash + document, then runs the hash alone (store-backed)", async () => {
    const unknown = await send(storeUrl, { hash: HASH });
    expect(unknown.body.errors?.map((error) => error.extensions?.code)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
    expect(unknown.body.data).toBeUndefined();

    const registered = await send(storeUrl, { query: QUERY, hash: HASH });
    expect(registered.status).toBe(200);
    expect(registered.body.errors).toBeUndefined();
    const version = registered.body.data?.gateway?.version;
    expect(typeof version).toBe("string");

    const byHash = await send(storeUrl, { hash: HASH });
    expect(byHash.body).toEqual(registered.body);
    expect((await store.get(`${APQ_KEY_NAMESPACE}apq:${HASH}`))?.toString("utf8")).toBe(QUERY);
  });

  it("does the same with Apollo's in-memory cache when no store is given", async () => {
    expect((await send(defaultUrl, { hash: HASH })).body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await send(defaultUrl, { query: QUERY, hash: HASH })).body.data?.gateway).toBeDefined();
    expect((await send(defaultUrl, { hash: HASH })).body.data?.gateway).toBeDefined();
  });

  it("refuses a document whose hash does not match, and stores nothing for it", async () => {
    const otherQuery = "query Other { gateway { region } }";
    const mismatch = await send(storeUrl, { query: otherQuery, hash: "0".repeat(64) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.data).toBeUndefined();
    expect(mismatch.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    expect(mismatch.body.errors?.[0]?.message).toBe("provided sha does not match query");
    expect(await store.get(`${APQ_KEY_NAMESPACE}apq:${"0".repeat(64)}`)).toBeNull();
  });

  it("does not register a document that fails validation", async () => {
    const invalid = "query Invalid { gateway { noSuchField } }";
    const invalidHash = createHash("sha256").update(invalid).digest("hex");
    const answer = await send(storeUrl, { query: invalid, hash: invalidHash });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(await store.get(`${APQ_KEY_NAMESPACE}apq:${invalidHash}`)).toBeNull();
  });
});

describe("the store-backed APQ cache", () => {
  it("stores with Apollo's ttl in seconds, or a day when Apollo gives none", async () => {
    const calls: Array<[string, string, number]> = [];
    const recording = { ...createMemoryStore(), set: async (key: string, value: Buffer, ttlMs: number) => void calls.push([key, value.toString("utf8"), ttlMs]) } as Store;
    const cache = createStoreApqCache(recording);
    await cache.set("apq:abc", "{ a }", { ttl: 30 });
    await cache.set("apq:def", "{ b }", { ttl: null });
    await cache.set("apq:ghi", "{ c }");
    expect(calls).toEqual([
      [`${APQ_KEY_NAMESPACE}apq:abc`, "{ a }", 30_000],
      [`${APQ_KEY_NAMESPACE}apq:def`, "{ b }", 86_400_000],
      [`${APQ_KEY_NAMESPACE}apq:ghi`, "{ c }", 86_400_000],
    ]);
  });

  it("rejects a default ttl that is not a positive whole number of seconds", () => {
    expect(() => createStoreApqCache(createMemoryStore(), 0)).toThrow("createStoreApqCache: defaultTtlSeconds must be a positive integer (got 0)");
  });
});

const redisReachable = await isSharedRedisReachable();
if (!redisReachable) warnRedisMissing("apq.test.ts (two gateways sharing persisted queries)");

describe.skipIf(!redisReachable)("automatic persisted queries across two gateway processes sharing Redis", () => {
  const prefix = uniqueKeyPrefix("apq");
  const gateways: GatewayProcess[] = [];
  const redis = rawRedis();

  beforeAll(async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, GATEWAY_SECRET: "apq-test-secret-apq-test-secret-0001" };
    gateways.push(...(await Promise.all([startGateway({ env }), startGateway({ env })])));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it("runs on replica B a hash that only replica A was sent the document for", async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const unique = `${QUERY} # ${prefix}`;
    const hash = createHash("sha256").update(unique).digest("hex");
    expect((await send(b.url, { hash })).body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    const registered = await send(a.url, { query: unique, hash });
    expect(registered.body.data?.gateway).toBeDefined();
    const onB = await send(b.url, { hash });
    expect(onB.body).toEqual(registered.body);
    expect(await redis.get(`${prefix}${APQ_KEY_NAMESPACE}apq:${hash}`)).toBe(unique);
  });
});

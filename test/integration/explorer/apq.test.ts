import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPersistedQueryCache, persistedQueryDocumentKey, persistedQuerySlotKeys, persistedQuerySlotSecret, type PersistedQueryOutcome } from "../../../src/server/apq-cache.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { createMemoryStore, type Store } from "../../../src/store/index.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { capturingLogger, fakeTokenService, testConfig } from "../../unit/server/server-fixtures.js";
import { deleteKeysWithPrefix, rawRedis, SHARED_REDIS_URL, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

/**
 * Automatic persisted queries: a frontend sends a document's SHA-256 once with the document, then
 * the hash alone. The documents live in a store and budget of their own (never the token store); with
 * Redis every replica knows them.
 */

const QUERY = "query GatewayVersion { gateway { version upstreamMode } }";
const HASH = createHash("sha256").update(QUERY).digest("hex");
const LIMITS = { maxDocumentBytes: 1024, maxEntries: 100, ttlSeconds: 3600 };

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
  let tokenStore: Store;
  let apqStore: Store;
  let storeUrl: string;
  let defaultUrl: string;
  const log = capturingLogger();
  const storedDocument = (hash: string) => createPersistedQueryCache({ store: apqStore, limits: LIMITS, logger: capturingLogger().logger, slotSecret: persistedQuerySlotSecret(testConfig().gatewaySecret) }).get(`apq:${hash}`);

  beforeAll(async () => {
    tokenStore = createMemoryStore();
    apqStore = createMemoryStore();
    const config = testConfig({ persistedQueries: LIMITS });
    const withStore = await createGatewayServer({ config, tokenService: noExchanges(), logger: log.logger, upstreamLabel: "fake", store: tokenStore, persistedQueryStore: apqStore });
    const ownStore = await createGatewayServer({ config, tokenService: noExchanges(), logger: capturingLogger().logger, upstreamLabel: "fake" });
    servers.push(withStore, ownStore);
    storeUrl = (await withStore.listen(0, "127.0.0.1")).url;
    defaultUrl = (await ownStore.listen(0, "127.0.0.1")).url;
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all([tokenStore?.close(), apqStore?.close()]);
  });

  it("answers an unknown hash PERSISTED_QUERY_NOT_FOUND, runs hash + document, then runs the hash alone, stored apart from token state", async () => {
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
    expect(await storedDocument(HASH)).toBe(QUERY);
    const slots = persistedQuerySlotKeys(`apq:${HASH}`, LIMITS.maxEntries, persistedQuerySlotSecret(testConfig().gatewaySecret));
    expect(await Promise.all([...slots, persistedQueryDocumentKey(`apq:${HASH}`)].map((key) => tokenStore.get(key)))).toEqual([...slots, 0].map(() => null));
    expect((await Promise.all(slots.map((slot) => apqStore.get(slot)))).filter((value) => value !== null).map(String)).toEqual([`apq:${HASH}`]);
  });

  it("does the same with a persisted-query store of its own when none is given", async () => {
    expect((await send(defaultUrl, { hash: HASH })).body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await send(defaultUrl, { query: QUERY, hash: HASH })).body.data?.gateway).toBeDefined();
    expect((await send(defaultUrl, { hash: HASH })).body.data?.gateway).toBeDefined();
  });

  it("refuses a document whose hash does not match (or an unknown APQ version), stores nothing, and logs nothing at error level", async () => {
    const otherQuery = "query Other { gateway { region } }";
    const badVersion = await fetch(storeUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: otherQuery, extensions: { persistedQuery: { version: 2, sha256Hash: HASH } } }),
    });
    expect(badVersion.status).toBe(400);
    expect(((await badVersion.json()) as GraphQLAnswer["body"]).errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    const mismatch = await send(storeUrl, { query: otherQuery, hash: "0".repeat(64) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.data).toBeUndefined();
    expect(mismatch.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    expect(mismatch.body.errors?.[0]?.message).toBe("provided sha does not match query");
    expect(await storedDocument("0".repeat(64))).toBeUndefined();
    expect(log.lines().filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it("does not register a document that fails validation", async () => {
    const invalid = "query Invalid { gateway { noSuchField } }";
    const invalidHash = createHash("sha256").update(invalid).digest("hex");
    const answer = await send(storeUrl, { query: invalid, hash: invalidHash });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(await storedDocument(invalidHash)).toBeUndefined();
  });

  it("executes a document over APQ_MAX_DOCUMENT_BYTES but does not store it", async () => {
    const padded = `${QUERY} # ${"x".repeat(LIMITS.maxDocumentBytes)}`;
    const paddedHash = createHash("sha256").update(padded).digest("hex");
    const answer = await send(storeUrl, { query: padded, hash: paddedHash });
    expect(answer.body.data?.gateway).toBeDefined();
    expect(await storedDocument(paddedHash)).toBeUndefined();
    expect((await send(storeUrl, { hash: paddedHash })).body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});

describe("APQ_MAX_ENTRIES=0", () => {
  it("turns persisted queries off: a hash is answered PERSISTED_QUERY_NOT_SUPPORTED, a plain query still runs", async () => {
    const server = await createGatewayServer({
      config: testConfig({ persistedQueries: { ...LIMITS, maxEntries: 0 } }), tokenService: noExchanges(), logger: capturingLogger().logger, upstreamLabel: "fake",
    });
    try {
      const { url } = await server.listen(0, "127.0.0.1");
      expect((await send(url, { query: QUERY, hash: HASH })).body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
      expect((await send(url, { query: QUERY })).body.data?.gateway).toBeDefined();
    } finally {
      await server.close();
    }
  });
});

describe("the persisted-query cache", () => {
  const key = (n: number) => `apq:${createHash("sha256").update(String(n)).digest("hex")}`;

  it("stores with Apollo's ttl in seconds, never beyond APQ_TTL_SECONDS", async () => {
    const ttls: number[] = [];
    const memory = createMemoryStore();
    const recording = { ...memory, setIfAbsent: async (slot: string, value: Buffer, ttlMs: number) => (ttls.push(ttlMs), memory.setIfAbsent(slot, value, ttlMs)) } as Store;
    const cache = createPersistedQueryCache({ store: recording, limits: { ...LIMITS, ttlSeconds: 60 }, logger: capturingLogger().logger });
    await cache.set(key(1), "{ a }", { ttl: 30 });
    await cache.set(key(2), "{ b }", { ttl: null });
    await cache.set(key(3), "{ c }", { ttl: 3600 });
    expect(ttls).toEqual([30_000, 60_000, 60_000]);
    expect(await cache.get(key(1))).toBe("{ a }");
  });

  it("keeps at most APQ_MAX_ENTRIES documents: later registrations are not stored, earlier ones stay", async () => {
    const outcomes: PersistedQueryOutcome[] = [];
    const store = createMemoryStore();
    const cache = createPersistedQueryCache({ store, limits: { ...LIMITS, maxEntries: 8 }, logger: capturingLogger().logger, onRegistration: (outcome) => outcomes.push(outcome) });
    for (let n = 0; n < 40; n += 1) await cache.set(key(n), `{ doc${n} }`);
    expect(outcomes.filter((outcome) => outcome === "stored")).toHaveLength(8);
    expect(outcomes.filter((outcome) => outcome === "budget-full")).toHaveLength(32);
    const found = await Promise.all(Array.from({ length: 40 }, (_, n) => cache.get(key(n))));
    expect(found.filter((document) => document !== undefined)).toHaveLength(8);
    expect(found.find((document) => document !== undefined)).toBe("{ doc0 }");
  });

  it("executes but never stores a document with a grant or token written into it (in Redis it would sit in clear): outcome carries-secret", async () => {
    const outcomes: PersistedQueryOutcome[] = [];
    const store = createMemoryStore();
    const log = capturingLogger();
    const cache = createPersistedQueryCache({ store, limits: LIMITS, logger: log.logger, onRegistration: (outcome) => outcomes.push(outcome) });
    const inlined = [
      'mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "eyJ.secret.sig" }) { tokenType } }',
      'mutation { refreshToken(input: { refreshToken: """aor-secret""" }) { tokenType } }',
      'mutation M { createTokenWithIAM(input: { grantType: AUTHORIZATION_CODE, code: "c", redirectUri: "https://a.example/cb", codeVerifier: "v" }) { tokenType } }',
      // In a variable's default value: the whole input, or the grant alone passed where a secret goes.
      'mutation M($input: CreateTokenWithIAMInput = { grantType: JWT_BEARER, assertion: "eyJ.secret.sig" }) { createTokenWithIAM(input: $input) { tokenType } }',
      'mutation M($grant: String = "eyJ.secret.sig") { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $grant }) { tokenType } }',
      // Any field the log redaction treats as secret, as a future input might be named.
      '{ gateway(clientSecret: "s3cr3t") { version } }',
    ];
    // Each twice: the second verdict is the one remembered by the hash.
    for (const [n, document] of [...inlined.entries(), ...inlined.entries()]) await cache.set(key(n), document);
    // Variables, and string literals in fields that are not secrets, are stored as before.
    const plain = 'mutation M($input: CreateTokenWithIAMInput!, $scope: [String!] = ["openid"]) { createTokenWithIAM(input: $input) { tokenType } other: createTokenWithIAM(input: { grantType: JWT_BEARER, scope: $scope }) { tokenType } } query Q { gateway { version } __type(name: "Token") { name } }';
    await cache.set(key(10), plain);
    await cache.set(key(10), plain);
    expect(outcomes).toEqual([...inlined.map(() => "carries-secret"), ...inlined.map(() => "carries-secret"), "stored", "already-stored"]);
    expect(await Promise.all(inlined.map((_, n) => cache.get(key(n))))).toEqual(inlined.map(() => undefined));
    expect(await cache.get(key(10))).toBe(plain);
    expect(log.lines().map((line) => line.msg)).toEqual(["persisted queries: a document with a grant or token written into it was executed but not stored; send secrets in variables"]);
    for (const literal of ["eyJ.secret.sig", "aor-secret"]) expect(log.text()).not.toContain(literal);
  });

  it("never throws when the store fails: a lookup is a miss, a registration is dropped, one warning a minute", async () => {
    const log = capturingLogger();
    const failing = { ...createMemoryStore(), get: async () => { throw new Error("OOM command not allowed"); }, setIfAbsent: async () => { throw new Error("OOM command not allowed"); } } as Store;
    const cache = createPersistedQueryCache({ store: failing, limits: LIMITS, logger: log.logger });
    expect(await cache.get(key(1))).toBeUndefined();
    await cache.set(key(1), "{ a }");
    await cache.set(key(2), "{ b }");
    expect(log.lines().filter((line) => line.level === 40).map((line) => line.msg)).toEqual([
      "persisted queries: the store did not answer a lookup; treated as not found (the client sends the document)",
      "persisted queries: the store refused a registration; executed but not stored",
    ]);
  });

  it("rejects limits that are not positive whole numbers", () => {
    expect(() => createPersistedQueryCache({ store: createMemoryStore(), limits: { ...LIMITS, ttlSeconds: 0 }, logger: capturingLogger().logger }))
      .toThrow("createPersistedQueryCache: limits must be { maxEntries >= 1, maxDocumentBytes >= 1, ttlSeconds >= 1 } integers");
  });
});

const sharedRedis = await probeSharedRedis();
const GATEWAY_SECRET = "apq-test-secret-apq-test-secret-0001";

describeNeeding(sharedRedis, "automatic persisted queries across two gateway processes sharing Redis", () => {
  const prefix = uniqueKeyPrefix("apq");
  const gateways: GatewayProcess[] = [];
  const redis = rawRedis();

  beforeAll(async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, GATEWAY_SECRET };
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
    // Apollo stores a registration after answering it: ask B until the write has landed (bounded).
    let onB = await send(b.url, { hash });
    for (let attempt = 0; attempt < 50 && onB.body.errors !== undefined; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      onB = await send(b.url, { hash });
    }
    expect(onB.body).toEqual(registered.body);
    const slots = persistedQuerySlotKeys(`apq:${hash}`, 1000, persistedQuerySlotSecret(Buffer.from(GATEWAY_SECRET))).map((slot) => `${prefix}${slot}`);
    expect((await redis.mget(...slots)).filter((value) => value !== null)).toEqual([`apq:${hash}`]);
    expect(await redis.get(`${prefix}${persistedQueryDocumentKey(`apq:${hash}`)}`)).toBe(unique);
  });
});

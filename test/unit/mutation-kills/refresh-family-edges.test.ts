import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/store/store.types.js";
import { createRefreshFamilies, familyStores, MEMORY_FAMILY_LIMITS, type RefreshFamilies } from "../../../src/tokens/refresh-family.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { sharedRedisStores } from "./shared-redis.js";
import { recordingStoreLogger, storeFailing } from "./store-doubles.js";

/**
 * Refresh-token families at their edges: where the bookkeeping lives, what a disabled gateway and a
 * grant without refresh tokens leave alone, and that missing or foreign bookkeeping and a failing
 * store cost a warning at most, never a refresh.
 */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 13) });
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const sharedRedis = await probeSharedRedis();
const redisStore = sharedRedisStores("refresh-family-kills");

const presented = (refreshToken: string) => ({ clientId: APP, grantType: "REFRESH_TOKEN" as const, refreshToken });
const issued = (refreshToken?: string) => ({ clientId: APP, issuedAt: Date.now(), accessToken: "at", ...(refreshToken === undefined ? {} : { refreshToken }) });
const families = (stores: Store | { store: Store; revocations: Store }, options: { enabled?: boolean; logger?: ReturnType<typeof recordingStoreLogger> } = {}) =>
  createRefreshFamilies({ ...("kind" in stores ? { store: stores } : stores), keyspace, enabled: options.enabled ?? true, ttlMs: 60_000, logger: options.logger ?? recordingStoreLogger() });
const nodeKeyOf = (refreshToken: string) => keyspace.key("refresh-node", APP, refreshToken);
const entries = async (store: Store) => (await store.health()).detail;
/** Families on a fresh memory store, with the store and every logged line at hand. */
const onMemory = () => {
  const store = createMemoryStore();
  const logger = recordingStoreLogger();
  return { store, logger, bookkeeping: families(store, { logger }) };
};
/** Rotates `root` into `next` (a family's first rotation) and returns the family's id. */
async function startFamily(bookkeeping: RefreshFamilies, root: string, next: string): Promise<string> {
  await bookkeeping.recordRotation(presented(root), issued(next), undefined);
  return ((await bookkeeping.inspect(presented(next))) as { family: string }).family;
}

describe("where families live", () => {
  it("without Redis, in a store of their own: a revocation outlives the churn of the shared memory store's LRU", async () => {
    const shared = createMemoryStore({ maxEntries: 4 });
    const bookkeeping = families(familyStores(shared));
    const family = await startFamily(bookkeeping, "m0", "m1");
    await bookkeeping.revoke(family);
    for (let n = 0; n < 10; n++) await shared.set(`cached-answer-${n}`, Buffer.from("answer"), 60_000);
    expect(await bookkeeping.inspect(presented("m1"))).toEqual({ kind: "revoked", family });
  });

  it("without Redis, revocations apart from nodes: rotations past what the node store holds never push one out", async () => {
    const bookkeeping = families(familyStores(createMemoryStore()));
    const family = await startFamily(bookkeeping, "r0", "r1");
    await bookkeeping.revoke(family);
    // More nodes than MEMORY_FAMILY_LIMITS holds (two per first rotation, ~540 counted bytes each): the node store evicts its oldest.
    const rotations = Math.ceil((MEMORY_FAMILY_LIMITS.maxBytes / 2 / 400) * 1.2);
    for (let n = 0; n < rotations; n++) await bookkeeping.recordRotation(presented(`root-${n}`), issued(`next-${n}`), undefined);
    expect(await bookkeeping.inspect(presented("r1"))).toEqual({ kind: "unknown" }); // its node was pushed out
    expect(await bookkeeping.isRevoked(family)).toBe(true);
    expect(await bookkeeping.inspect(presented(`next-${rotations - 1}`))).toMatchObject({ kind: "live" });
  });

  it("without Redis, access-token links in the shared store (the response cache's bounds), never in the node or revocation stores", async () => {
    const shared = createMemoryStore({ maxEntries: 8 });
    const bookkeeping = families(familyStores(shared));
    const family = await startFamily(bookkeeping, "l0", "l1");
    const linked = { clientId: APP, issuedAt: Date.now(), expiresIn: 3600, accessToken: "at-linked" };
    await bookkeeping.link(linked, family);
    expect(await bookkeeping.familyOfAccessToken("at-linked")).toEqual({ family, revoked: false });
    expect(await entries(shared)).toBe("memory (process-local, 1 entries)");
    await bookkeeping.revoke(family);
    expect(await bookkeeping.familyOfAccessToken("at-linked")).toEqual({ family, revoked: true });
    for (let n = 0; n < 10; n++) await shared.set(`cached-answer-${n}`, Buffer.from("answer"), 60_000);
    expect(await bookkeeping.familyOfAccessToken("at-linked")).toBeUndefined(); // pushed out with the cache's churn
    expect(await bookkeeping.inspect(presented("l1"))).toEqual({ kind: "revoked", family });
  });

  describeNeeding(sharedRedis, "with Redis", () => {
    it("in the shared store: a family one replica revokes is revoked on another", async () => {
      const replicaA = families(familyStores(redisStore()));
      const replicaB = families(familyStores(redisStore()));
      const family = await startFamily(replicaA, "s0", "s1");
      expect(await replicaB.inspect(presented("s1"))).toEqual({ kind: "live", family });
      await replicaA.revoke(family);
      expect(await replicaB.inspect(presented("s1"))).toEqual({ kind: "revoked", family });
    });
  });
});

describe("what the bookkeeping leaves alone", () => {
  it("when disabled, neither reads the verdict another replica recorded nor records a rotation", async () => {
    const store = createMemoryStore();
    const enabled = families(store);
    const disabled = families(store, { enabled: false });
    await enabled.recordRotation(presented("d0"), issued("d1"), undefined);
    expect(await disabled.inspect(presented("d0"))).toEqual({ kind: "unknown" });
    await disabled.recordRotation(presented("d1"), issued("d2"), undefined);
    expect(await enabled.inspect(presented("d1"))).toMatchObject({ kind: "live" });
    expect(await enabled.inspect(presented("d2"))).toEqual({ kind: "unknown" });
  });

  it("a grant that presents no refresh token, or gets none back, is unknown and recorded nowhere, quietly", async () => {
    const { store, logger, bookkeeping } = onMemory();
    const jwtBearer = { clientId: APP, grantType: "JWT_BEARER" as const, assertion: "eyJ.x.y" };
    expect(await bookkeeping.inspect(jwtBearer)).toEqual({ kind: "unknown" });
    await bookkeeping.recordRotation(jwtBearer, issued("j1"), undefined);
    await bookkeeping.recordRotation(presented("j0"), issued(), undefined);
    expect(await entries(store)).toBe("memory (process-local, 0 entries)");
    expect(logger.lines).toEqual([]);
  });
});

describe("missing or foreign bookkeeping", () => {
  it("a token never rotated here is unknown, quietly", async () => {
    const { logger, bookkeeping } = onMemory();
    expect(await bookkeeping.inspect(presented("never-seen"))).toEqual({ kind: "unknown" });
    expect(logger.lines).toEqual([]);
  });

  it("a rotated token whose successor's node was evicted is still rotated (a concurrent caller), quietly", async () => {
    const { store, logger, bookkeeping } = onMemory();
    const family = await startFamily(bookkeeping, "e0", "e1");
    await store.delete(nodeKeyOf("e1"));
    expect(await bookkeeping.inspect(presented("e0"))).toEqual({ kind: "rotated", family });
    expect(logger.lines).toEqual([]);
  });

  it("a node of a shape this version does not know (another version sharing the store) counts as unknown, quietly", async () => {
    const { store, logger } = onMemory();
    for (const [token, content] of [["foreign-null", "null"], ["foreign-object", '{"family":"f"}']] as const) {
      await store.set(nodeKeyOf(token), keyspace.seal(nodeKeyOf(token), Buffer.from(content, "utf8")), 60_000);
      expect(await families(store, { logger }).inspect(presented(token))).toEqual({ kind: "unknown" });
    }
    expect(logger.lines).toEqual([]);
  });

  it("rotating generation after generation logs nothing, also when an older generation's node is already gone", async () => {
    const { store, logger, bookkeeping } = onMemory();
    const family = await startFamily(bookkeeping, "g0", "g1");
    for (let n = 1; n < 4; n++) await bookkeeping.recordRotation(presented(`g${n}`), issued(`g${n + 1}`), family);
    await store.delete(nodeKeyOf("g3"));
    await bookkeeping.recordRotation(presented("g4"), issued("g5"), family);
    expect(await bookkeeping.inspect(presented("g4"))).toEqual({ kind: "rotated", family });
    expect(await bookkeeping.inspect(presented("g5"))).toEqual({ kind: "live", family });
    expect(logger.lines).toEqual([]);
  });
});

describe("a failing store", () => {
  it("cannot be read: the token is unknown, with a warning naming the first line of the cause", async () => {
    const logger = recordingStoreLogger();
    expect(await families(storeFailing(createMemoryStore(), ["get"]), { logger }).inspect(presented("f0"))).toEqual({ kind: "unknown" });
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "refresh families: lookup failed; treating the token as unknown" }]);
  });

  it("cannot be written: the rotation goes on unrecorded, with a warning", async () => {
    const logger = recordingStoreLogger();
    await families(storeFailing(createMemoryStore(), ["set"]), { logger }).recordRotation(presented("w0"), issued("w1"), undefined);
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "refresh families: could not record a rotation" }]);
  });
});

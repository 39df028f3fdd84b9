import { describe, expect, it } from "vitest";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import { createIdentityContextRegistry, MEMORY_IDENTITY_CONTEXT_LIMITS } from "../../../src/tokens/identity-context-registry.js";
import { createRefreshFamilies, familyStores, MEMORY_FAMILY_LIMITS } from "../../../src/tokens/refresh-family.js";
import { collectedHeapUsed } from "../../support/collected-heap.js";

/**
 * Without Redis, refresh families and identity contexts each keep a memory store of their own, which
 * the gateway's heap budget counts at its bound (src/server/heap-tenants.ts). Flooded through their
 * own code, as callers add entries (one rotation, one answer at a time), each holds at most that much
 * heap, measured with the garbage collector. Counting only keys and values, families held ~58 MB of
 * heap (and ~27 MB outside it) in a store bounded at 48 MiB.
 */


const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
// As the gateway's token service keys a memory store: unsealed values.
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 5), sealing: false });
// Refresh tokens of AWS's length.
const refreshToken = (name: string) => `aorAAAAAGV${name}`.padEnd(400, "x");
// ~39,000 rotations or ~54,000 answers each, every one keyed by HMAC: 1–8 s alone, 38 s once on 2 cores at load average 7 (the default 30 s timed out).
const HEAVY_TEST_TIMEOUT_MS = 120_000;

describe("bookkeeping kept in memory: heap within the bound the heap budget counts", () => {
  it("refresh families: twice what fits, one rotation at a time, hold at most MEMORY_FAMILY_LIMITS.maxBytes of heap and keep the newest", async () => {
    const families = createRefreshFamilies({ ...familyStores(createMemoryStore()), keyspace, enabled: true, ttlMs: 3_600_000, logger: silentStoreLogger });
    const before = collectedHeapUsed();
    // Each rotation of a new root writes two nodes of ~540 counted bytes.
    const rotations = Math.ceil(MEMORY_FAMILY_LIMITS.maxBytes / 540);
    for (let i = 0; i < rotations; i++) {
      await families.recordRotation({ clientId: APP, grantType: "REFRESH_TOKEN", refreshToken: refreshToken(`root${i}`) }, { clientId: APP, issuedAt: Date.now(), refreshToken: refreshToken(`next${i}`) }, undefined);
    }
    const held = collectedHeapUsed() - before;
    expect(held).toBeLessThanOrEqual(MEMORY_FAMILY_LIMITS.maxBytes);
    expect(held).toBeGreaterThan(0.6 * MEMORY_FAMILY_LIMITS.maxBytes);
    const newest = rotations - 1;
    expect(await families.inspect({ clientId: APP, grantType: "REFRESH_TOKEN", refreshToken: refreshToken(`next${newest}`) })).toMatchObject({ kind: "live" });
    expect(await families.inspect({ clientId: APP, grantType: "REFRESH_TOKEN", refreshToken: refreshToken("next0") })).toEqual({ kind: "unknown" });
  }, HEAVY_TEST_TIMEOUT_MS);

  it("identity contexts: twice what fits, one answer at a time, hold at most MEMORY_IDENTITY_CONTEXT_LIMITS.maxBytes of heap and keep the newest", async () => {
    const families = createRefreshFamilies({ store: createMemoryStore(), keyspace, enabled: true, ttlMs: 3_600_000, logger: silentStoreLogger });
    const registry = createIdentityContextRegistry({ store: createMemoryStore(), keyspace, families, logger: silentStoreLogger });
    const family = families.familyOf(APP, refreshToken("root"));
    const before = collectedHeapUsed();
    // Each record counts ~470 bytes; an identity context is STS's sealed assertion (~1 KB), of which only an HMAC is kept.
    const answers = Math.ceil((2 * MEMORY_IDENTITY_CONTEXT_LIMITS.maxBytes) / 470);
    const context = (i: number) => `${i}:`.padEnd(1_000, "c");
    for (let i = 0; i < answers; i++) {
      await registry.remember({ clientId: APP, issuedAt: Date.now(), expiresIn: 3600, awsAdditionalDetails: { identityContext: context(i) } }, () => family);
    }
    const held = collectedHeapUsed() - before;
    expect(held).toBeLessThanOrEqual(MEMORY_IDENTITY_CONTEXT_LIMITS.maxBytes);
    expect(held).toBeGreaterThan(0.6 * MEMORY_IDENTITY_CONTEXT_LIMITS.maxBytes);
    await expect(registry.verify(context(answers - 1), "input.identityContext")).resolves.toEqual({ clientId: APP });
    await expect(registry.verify(context(0), "input.identityContext")).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  }, HEAVY_TEST_TIMEOUT_MS);
});

import { afterAll, describe, expect, it } from "vitest";
import { SHARED_REDIS_URL, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { closeAndForget, createGatedStore } from "../tokens/races/race-support.js";
import { createGatewayStore, type Store } from "../../../src/store/index.js";
import { createCredentialsCache, servableUntil } from "../../../src/credentials/credentials-cache.js";
import type { IssuedCredentials } from "../../../src/credentials/index.js";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";

const T0 = Date.UTC(2026, 11, 1);
const credentialsFor = (durationSeconds: number): IssuedCredentials => ({
  accessKeyId: "ASIAEXAMPLEEXAMPLE00", secretAccessKey: "secret", sessionToken: "token", expiration: T0 + durationSeconds * 1000,
  roleArn: "arn:aws:iam::123456789012:role/R", assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/R/idc-token-gateway",
});

describe("credentials cache: the renewal margin", () => {
  it("hands credentials out while at least half their life, and at least ten minutes, remain", () => {
    expect(servableUntil(credentialsFor(3600), 3600)).toBe(T0 + 1800_000);
    expect(servableUntil(credentialsFor(900), 900)).toBe(T0 + 300_000);
    expect(servableUntil(credentialsFor(43_200), 43_200)).toBe(T0 + 21_600_000);
  });

  it.each([
    [3600, 1_799_999, true],
    [3600, 1_800_000, false],
    [900, 299_999, true],
    [900, 300_000, false],
  ])("a %i s session read %i ms after issue: served = %s", async (duration, elapsedMs, served) => {
    let now = T0;
    const cache = createCredentialsCache({ store: createMemoryStore(), keyspace: createKeyspace({ secret: Buffer.alloc(32, 7) }), logger: silentStoreLogger, now: () => now });
    const credentials = credentialsFor(duration);
    await cache.save("fingerprint", credentials, duration);
    now = T0 + elapsedMs;
    expect(cache.peek("fingerprint")).toBe(served ? credentials : undefined);
    expect(await cache.lookup("fingerprint", duration)).toBe(served ? credentials : undefined);
  });

  it("keeps nothing that is already inside the margin", async () => {
    const cache = createCredentialsCache({ store: createMemoryStore(), keyspace: createKeyspace({ secret: Buffer.alloc(32, 7) }), logger: silentStoreLogger, now: () => T0 + 1800_000 });
    await cache.save("fingerprint", credentialsFor(3600), 3600);
    expect(cache.peek("fingerprint")).toBeUndefined();
  });
});

const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("credentials-cache");
const stores: Store[] = [];
afterAll(() => closeAndForget(stores, sharedRedis.missing === undefined ? keyPrefix : undefined));

describeNeeding(sharedRedis, "credentials cache shared by two replicas on Redis", () => {
  const replica = (now: () => number, store: Store = createGatewayStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, logger: silentStoreLogger })) => {
    stores.push(store);
    const warnings: string[] = [];
    const logger = { ...silentStoreLogger, warn: (_fields: object, message: string) => void warnings.push(message) };
    return { cache: createCredentialsCache({ store, keyspace: createKeyspace({ secret: Buffer.alloc(32, 7) }), logger, now }), store, warnings };
  };

  it("hands another replica's credentials out until the margin, then keeps them in its own memory", async () => {
    let now = Date.now();
    const fingerprint = `shared-${now}`;
    const credentials = { ...credentialsFor(3600), expiration: now + 3_600_000 };
    const [a, b] = [replica(() => now), replica(() => now)];
    expect(await b.cache.lookup(fingerprint, 3600)).toBeUndefined();
    await a.cache.save(fingerprint, credentials, 3600);
    expect(b.cache.peek(fingerprint)).toBeUndefined();
    expect(await b.cache.lookup(fingerprint, 3600)).toEqual(credentials);
    expect(b.cache.peek(fingerprint)).toEqual(credentials);
    // A third replica, after the margin: the shared entry is no longer handed out.
    now += 1_800_000;
    expect(await replica(() => now).cache.lookup(fingerprint, 3600)).toBeUndefined();
  });

  it("stores nothing already inside the margin, even for other replicas", async () => {
    const now = Date.now();
    const fingerprint = `late-${now}`;
    const [a, b] = [replica(() => now), replica(() => now)];
    await a.cache.save(fingerprint, { ...credentialsFor(3600), expiration: now + 1_800_000 }, 3600);
    expect(await b.cache.lookup(fingerprint, 3600)).toBeUndefined();
  });

  it("treats a store failure as a miss on lookup and a skipped write on save, and says so", async () => {
    const now = Date.now();
    const gated = createGatedStore(createGatewayStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, logger: silentStoreLogger }));
    const broken = replica(() => now, gated);
    gated.kill();
    await broken.cache.save(`broken-${now}`, { ...credentialsFor(3600), expiration: now + 3_600_000 }, 3600);
    expect(await broken.cache.lookup(`other-${now}`, 3600)).toBeUndefined();
    expect(broken.warnings).toEqual(["credentials cache: could not store credentials", "credentials cache: lookup failed; treating as a miss"]);
  });
});

import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import { createRefreshGrace } from "../../../src/tokens/refresh-grace.js";
import { encodeIssuedToken } from "../../../src/tokens/issued-token-codec.js";
import { approximateBytes, createResponseCache } from "../../../src/tokens/response-cache.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";

const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

/** A memory store that reports itself as Redis, so the cache's shared (second) level is exercised. */
function sharedStore(): Store & { writes: Array<{ key: string; value: Buffer; ttlMs: number }> } {
  const inner = createMemoryStore();
  const writes: Array<{ key: string; value: Buffer; ttlMs: number }> = [];
  return { ...inner, kind: "redis", writes, set: async (key, value, ttlMs) => { writes.push({ key, value, ttlMs }); return inner.set(key, value, ttlMs); } };
}

const token = (issuedAt: number, expiresIn: number | undefined, accessToken = "aoa-secret-access-token"): IssuedToken => ({
  issuedAt, clientId: APP, accessToken, refreshToken: "aor-secret-refresh-token", ...(expiresIn === undefined ? {} : { expiresIn }),
});

describe("response cache", () => {
  it("serves a response while its access token keeps more than the margin, then reports it stale", async () => {
    let now = 1_000_000;
    const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 300_000, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
    const issued = token(now, 3600);
    await cache.save("fp-1", issued);
    expect(await cache.lookup("fp-1")).toEqual({ result: "hit", token: issued });
    now += (3600 - 300) * 1000 - 1;
    expect(await cache.lookup("fp-1")).toEqual({ result: "hit", token: issued });
    now += 1;
    expect(await cache.lookup("fp-1")).toEqual({ result: "stale" });
    expect(await cache.lookup("fp-1")).toEqual({ result: "miss" });
  });

  it("peek answers from the process-local level at once: the servable response, else undefined, leaving a stale one for lookup to report", async () => {
    let now = 1_000_000;
    const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 300_000, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
    const issued = token(now, 3600);
    expect(cache.peek("fp-1")).toBeUndefined();
    await cache.save("fp-1", issued);
    expect(cache.peek("fp-1")).toBe(issued);
    now += (3600 - 300) * 1000;
    expect(cache.peek("fp-1")).toBeUndefined();
    expect(await cache.lookup("fp-1")).toEqual({ result: "stale" });
  });

  it("peek never reads the shared level: an entry only Redis holds is lookup's to fetch", async () => {
    const store = sharedStore();
    const writer = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    const reader = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    const issued = token(Date.now(), 3600);
    await writer.save("fp-shared", issued);
    expect(reader.peek("fp-shared")).toBeUndefined();
    expect(await reader.lookup("fp-shared")).toEqual({ result: "hit", token: issued });
    expect(reader.peek("fp-shared")).toEqual(issued);
  });

  it("derives each entry's shared key once for an exchange's lookups and save, and the same key again once it has forgotten it", async () => {
    const store = sharedStore();
    let derived = 0;
    const counting = { ...keyspace, key: (purpose: string, ...parts: Array<string | Buffer>) => (purpose === "token-cache" && (derived += 1), keyspace.key(purpose, ...parts)) };
    const writer = createResponseCache({ store, keyspace: counting, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    const issued = token(Date.now(), 3600);
    expect(await writer.lookup("fp-once")).toEqual({ result: "miss" });
    expect(await writer.lookup("fp-once")).toEqual({ result: "miss" });
    await writer.save("fp-once", issued);
    expect(derived).toBe(1);
    expect(store.writes.map((write) => write.key)).toContain(keyspace.key("token-cache", "fp-once"));
    // Another replica derives the same key, and finds the entry by it.
    const reader = createResponseCache({ store, keyspace: counting, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    expect(await reader.lookup("fp-once")).toEqual({ result: "hit", token: issued });
    expect(derived).toBe(2);
    // The memo is bounded: 1,024 fingerprints, the oldest forgotten first.
    for (let index = 0; index < 1_025; index += 1) await reader.lookup(`fp-other-${index}`);
    derived = 0;
    await reader.lookup("fp-other-1024");
    await reader.lookup("fp-other-1");
    expect(derived).toBe(0);
    await reader.lookup("fp-other-0");
    expect(derived).toBe(1);
  });

  it("never keeps a response without expiresIn, or with no more life than the margin", async () => {
    const now = 1_000_000;
    const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 300_000, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
    await cache.save("no-expiry", token(now, undefined));
    // Exactly the margin: no life left to serve, so not kept at all (a miss, not a stale entry).
    await cache.save("too-short", token(now, 300));
    expect(await cache.lookup("no-expiry")).toEqual({ result: "miss" });
    expect(await cache.lookup("too-short")).toEqual({ result: "miss" });
  });

  it("evicts the least recently used response beyond maxEntries", async () => {
    const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 0, maxEntries: 2, maxBytes: 1_000_000, logger: silentStoreLogger });
    await cache.save("a", token(Date.now(), 3600, "a"));
    await cache.save("b", token(Date.now(), 3600, "b"));
    await cache.lookup("a");
    await cache.save("c", token(Date.now(), 3600, "c"));
    expect((await cache.lookup("b")).result).toBe("miss");
    expect((await cache.lookup("a")).result).toBe("hit");
    expect((await cache.lookup("c")).result).toBe("hit");
  });

  it("keeps total bytes under maxBytes", async () => {
    const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 0, maxEntries: 1000, maxBytes: 1500, logger: silentStoreLogger });
    for (let i = 0; i < 20; i += 1) await cache.save(`fp-${i}`, token(Date.now(), 3600, `at-${i}-${"x".repeat(200)}`));
    const hits = (await Promise.all(Array.from({ length: 20 }, (_, i) => cache.lookup(`fp-${i}`)))).filter((lookup) => lookup.result === "hit");
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThan(20);
    expect((await cache.lookup("fp-19")).result).toBe("hit");
  });

  it("counts an entry at no fewer bytes than its JSON encoding, for a response with every field", () => {
    const full: IssuedToken = {
      ...token(Date.now(), 3600, `aoa-${"a".repeat(900)}`),
      tokenType: "Bearer", idToken: `eyJ.${"i".repeat(700)}.sig`, issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token",
      scope: ["openid", "aws", "sts:identity_context"], awsAdditionalDetails: { identityContext: "c".repeat(300) },
    };
    expect(approximateBytes(full)).toBeGreaterThanOrEqual(encodeIssuedToken(full).length);
    expect(approximateBytes({ ...full, accessToken: `${full.accessToken}more` })).toBe(approximateBytes(full) + 4);
  });

  it("on a shared store, writes a sealed value (no token in clear) with TTL = remaining life − margin under an HMAC key, and a sealed link from its refresh token", async () => {
    const store = sharedStore();
    const now = Date.now();
    const cache = createResponseCache({ store, keyspace, minTtlMs: 300_000, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
    await cache.save("fp-secret-input", token(now - 600_000, 3600));
    expect(store.writes.map((write) => write.key.replace(/:[A-Za-z0-9_-]{43}$/, ":<hmac>")).sort()).toEqual(["idc:v1:token-cache-link:<hmac>", "idc:v1:token-cache:<hmac>"]);
    for (const write of store.writes) {
      expect(write.ttlMs).toBe((3600 - 600 - 300) * 1000);
      expect(write.value.toString("latin1")).not.toContain("secret");
    }
  });

  it("serves an answer no longer than the notAfter it was saved with (the assertion's exp), on every level", async () => {
    let now = 1_000_000;
    const store = sharedStore();
    const writer = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
    const reader = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
    const issued = token(now, 3600);
    const exp = now + 60_000;
    await writer.save("fp", issued, exp);
    expect(store.writes.every((write) => write.ttlMs === 60_000)).toBe(true);
    expect(await reader.lookup("fp", exp)).toEqual({ result: "hit", token: issued });
    now = exp - 1;
    expect(writer.peek("fp")).toBe(issued);
    now = exp;
    expect(writer.peek("fp")).toBeUndefined();
    expect(reader.peek("fp")).toBeUndefined();
    expect(await writer.lookup("fp", exp)).toEqual({ result: "stale" });
  });

  it("drops the answer holding a refresh token once it is rotated, here and (by a published eviction) on another replica", async () => {
    const store = sharedStore();
    const replicaA = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    const replicaB = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    const issued = token(Date.now(), 3600);
    await replicaA.save("fp", issued);
    expect(await replicaB.lookup("fp")).toEqual({ result: "hit", token: issued });
    await replicaA.forgetAnswerHolding(APP, issued.refreshToken!);
    await new Promise((resolve) => setImmediate(resolve));
    expect(replicaA.peek("fp")).toBeUndefined();
    expect(replicaB.peek("fp")).toBeUndefined();
    expect(await replicaB.lookup("fp")).toEqual({ result: "miss" });
  });

  describe("in memory mode, the answer holding a rotated refresh token", () => {
    const memoryCache = (maxEntries = 10) => createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 0, maxEntries, maxBytes: 1_000_000, logger: silentStoreLogger });
    const holding = (refreshToken: string, accessToken = `aoa-${refreshToken}`): IssuedToken => ({ ...token(Date.now(), 3600, accessToken), refreshToken });

    it("is dropped, and answers holding other refresh tokens stay", async () => {
      const cache = memoryCache();
      await cache.save("fp-rotated", holding("aor-rotated"));
      await cache.save("fp-other", holding("aor-other"));
      await cache.forgetAnswerHolding(APP, "aor-rotated");
      expect(cache.peek("fp-rotated")).toBeUndefined();
      expect(cache.peek("fp-other")?.refreshToken).toBe("aor-other");
    });

    it("is the rotating application's: another application's answer holding a token of the same value stays", async () => {
      const OTHER_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-333333333333";
      const cache = memoryCache();
      await cache.save("fp-app", holding("aor-same-value"));
      await cache.save("fp-other-app", { ...holding("aor-same-value"), clientId: OTHER_APP });
      await cache.forgetAnswerHolding(APP, "aor-same-value");
      expect(cache.peek("fp-app")).toBeUndefined();
      expect(cache.peek("fp-other-app")?.clientId).toBe(OTHER_APP);
      await cache.forgetAnswerHolding(OTHER_APP, "aor-same-value");
      expect(cache.peek("fp-other-app")).toBeUndefined();
    });

    it("stays linked when another answer of its application leaves the LRU", async () => {
      const cache = memoryCache();
      await cache.save("fp-leaving", holding("aor-leaving"));
      await cache.save("fp-staying", holding("aor-staying"));
      await cache.forgetAnswerHolding(APP, "aor-leaving");
      await cache.save("fp-leaving", holding("aor-replacement"));
      await cache.forgetAnswerHolding(APP, "aor-staying");
      expect(cache.peek("fp-staying")).toBeUndefined();
      expect(cache.peek("fp-leaving")?.refreshToken).toBe("aor-replacement");
    });

    it("is kept when another application rotates a token of the same value", async () => {
      const cache = memoryCache();
      await cache.save("fp", holding("aor-shared-value"));
      await cache.forgetAnswerHolding("arn:aws:sso::123456789012:application/ssoins-111111111111/apl-333333333333", "aor-shared-value");
      expect(cache.peek("fp")?.refreshToken).toBe("aor-shared-value");
    });

    it("is found after its fingerprint's answer was replaced: the new answer's token, not the old one's", async () => {
      const cache = memoryCache();
      await cache.save("fp", holding("aor-first"));
      await cache.save("fp", holding("aor-second"));
      await cache.forgetAnswerHolding(APP, "aor-first");
      expect(cache.peek("fp")?.refreshToken).toBe("aor-second");
      await cache.forgetAnswerHolding(APP, "aor-second");
      expect(cache.peek("fp")).toBeUndefined();
    });

    it("is no longer linked once the LRU evicted it: a later answer under the same fingerprint survives the old token's rotation", async () => {
      const cache = memoryCache(1);
      await cache.save("fp-a", holding("aor-evicted"));
      await cache.save("fp-b", holding("aor-evictor"));
      expect(cache.peek("fp-a")).toBeUndefined();
      await cache.save("fp-a", holding("aor-later"));
      await cache.forgetAnswerHolding(APP, "aor-evicted");
      expect(cache.peek("fp-a")?.refreshToken).toBe("aor-later");
    });

    it("is the newest answer holding the token: dropping an older answer that held it too leaves the newer one linked", async () => {
      const cache = memoryCache();
      await cache.save("fp-older", holding("aor-twice", "aoa-older"));
      await cache.save("fp-newer", holding("aor-twice", "aoa-newer"));
      await cache.save("fp-older", holding("aor-replacing-older"));
      await cache.forgetAnswerHolding(APP, "aor-twice");
      expect(cache.peek("fp-newer")).toBeUndefined();
    });

    it("is not linked when it was too large for the LRU to keep: a later answer under its fingerprint survives its token's rotation", async () => {
      const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 2_000, logger: silentStoreLogger });
      await cache.save("fp", { ...holding("aor-oversized"), idToken: "x".repeat(5_000) });
      expect(cache.peek("fp")).toBeUndefined();
      await cache.save("fp", holding("aor-kept"));
      await cache.forgetAnswerHolding(APP, "aor-oversized");
      expect(cache.peek("fp")?.refreshToken).toBe("aor-kept");
    });

    it("past its life in the LRU (its own clock), is dropped quietly, and a later answer under its fingerprint is linked anew", async () => {
      const now = 1_000_000;
      const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
      // One second of life by the cache's clock, whatever the real one says: the LRU's ttl, on real time, ends it.
      await cache.save("fp", { ...token(now - 3_600_000 + 1_000, 3600), refreshToken: "aor-lapsing" });
      expect(cache.peek("fp")?.refreshToken).toBe("aor-lapsing");
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      await expect(cache.forgetAnswerHolding(APP, "aor-lapsing")).resolves.toBeUndefined();
      await cache.save("fp", { ...token(now, 3600), refreshToken: "aor-later" });
      await cache.forgetAnswerHolding(APP, "aor-lapsing");
      expect(cache.peek("fp")?.refreshToken).toBe("aor-later");
    });

    it("is no longer linked once it was dropped as stale", async () => {
      let now = 1_000_000;
      const cache = createResponseCache({ store: createMemoryStore(), keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger, now: () => now });
      await cache.save("fp", { ...token(now, 10), refreshToken: "aor-expired" });
      now += 10_000;
      expect(await cache.lookup("fp")).toEqual({ result: "stale" });
      now = Date.now();
      await cache.save("fp", { ...token(now, 3600), refreshToken: "aor-fresh" });
      await cache.forgetAnswerHolding(APP, "aor-expired");
      expect(cache.peek("fp")?.refreshToken).toBe("aor-fresh");
    });
  });

  it("on a shared store, a second replica (its own local LRU) is served what the first cached, with the original issuedAt", async () => {
    const store = sharedStore();
    const replicaA = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    const replicaB = createResponseCache({ store, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    const issued = token(Date.now() - 5_000, 3600);
    await replicaA.save("fp", issued);
    expect(await replicaB.lookup("fp")).toEqual({ result: "hit", token: issued });
  });

  it("treats a store failure as a miss rather than failing the request", async () => {
    const broken: Store = { ...createMemoryStore(), kind: "redis", get: async () => { throw new Error("redis unreachable"); } };
    const cache = createResponseCache({ store: broken, keyspace, minTtlMs: 0, maxEntries: 10, maxBytes: 1_000_000, logger: silentStoreLogger });
    expect(await cache.lookup("fp")).toEqual({ result: "miss" });
  });
});

describe("refresh grace", () => {
  const request = { clientId: APP, grantType: "REFRESH_TOKEN" as const, refreshToken: "aor-old", scope: ["openid", "aws"] };

  it("hands out the successor for the same token, client and scope (scope order aside), and nothing for another scope or token", async () => {
    const grace = createRefreshGrace({ store: createMemoryStore(), keyspace, graceMs: 30_000, logger: silentStoreLogger });
    const successor = token(Date.now(), 3600, "aoa-new");
    await grace.remember(request, successor);
    expect(await grace.successorOf({ ...request, scope: ["aws", "openid"] })).toEqual(successor);
    expect(await grace.successorOf({ ...request, scope: ["openid"] })).toBeUndefined();
    expect(await grace.successorOf({ ...request, refreshToken: "aor-other" })).toBeUndefined();
    expect(await grace.successorOf({ ...request, clientId: `${APP}x` })).toBeUndefined();
  });

  it("keeps nothing when the window is 0", async () => {
    const store = sharedStore();
    const grace = createRefreshGrace({ store, keyspace, graceMs: 0, logger: silentStoreLogger });
    await grace.remember(request, token(Date.now(), 3600));
    expect(grace.enabled).toBe(false);
    expect(store.writes).toEqual([]);
    expect(await grace.successorOf(request)).toBeUndefined();
  });

  it("stores the successor sealed, for exactly the window, under a key that does not contain the token", async () => {
    const store = sharedStore();
    const grace = createRefreshGrace({ store, keyspace, graceMs: 30_000, logger: silentStoreLogger });
    await grace.remember(request, token(Date.now(), 3600, "aoa-new"));
    expect(store.writes.map(({ key, ttlMs }) => [key.startsWith("idc:v1:refresh-successor:"), key.includes("aor-old"), ttlMs])).toEqual([[true, false, 30_000]]);
    expect(store.writes[0]!.value.toString("latin1")).not.toContain("aoa-new");
  });
});

import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { createApolloCache, createDocumentStore, documentHeapBytes } from "../../../src/server/apollo-caches.js";

describe("Apollo's caches on the gateway's BoundedLru", () => {
  it("gets what was set, forgets what was deleted, and answers delete with whether there was an entry", async () => {
    const cache = createApolloCache<string>();
    await cache.set("a", "one");
    expect(await cache.get("a")).toBe("one");
    expect(await cache.get("b")).toBeUndefined();
    expect(await cache.delete("a")).toBe(true);
    expect(await cache.delete("a")).toBe(false);
    expect(await cache.get("a")).toBeUndefined();
  });

  it("keeps an entry for Apollo's ttl in seconds; no ttl (or null, or 0) keeps it until evicted", async () => {
    let now = 0;
    const cache = createApolloCache<string>({ now: () => now });
    await cache.set("brief", "x", { ttl: 2 });
    await cache.set("null", "y", { ttl: null });
    await cache.set("zero", "z", { ttl: 0 });
    await cache.set("none", "w");
    now += 1_999;
    expect(await cache.get("brief")).toBe("x");
    now += 2;
    expect(await cache.get("brief")).toBeUndefined();
    now += 86_400_000;
    expect([await cache.get("null"), await cache.get("zero"), await cache.get("none")]).toEqual(["y", "z", "w"]);
  });

  it("bounds documents by the heap they hold (documentHeapBytes), not their JSON's bytes: the least recently used leave first", async () => {
    const document = parse("{ gateway { version } }");
    const bytes = documentHeapBytes(document);
    expect(bytes).toBeGreaterThan(4 * Buffer.byteLength(JSON.stringify(document)));
    const store = createDocumentStore({ maxBytes: bytes * 3 });
    for (const key of ["a", "b", "c"]) await store.set(key, document);
    expect(await store.get("a")).toBe(document);
    await store.set("d", document);
    expect(await Promise.all(["a", "b", "c", "d"].map((key) => store.get(key)))).toEqual([document, undefined, document, document]);
  });

  it("keeps no document with a grant or token written into it: Apollo parses it again next time", async () => {
    const store = createDocumentStore();
    const inlined = parse('mutation { createTokenWithIAM(input: { grantType: REFRESH_TOKEN, refreshToken: "aor-inlined" }) { tokenType } }');
    const plain = parse("mutation M($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { tokenType } }");
    await store.set("inlined", inlined);
    await store.set("plain", plain);
    expect(await store.get("inlined")).toBeUndefined();
    expect(await store.get("plain")).toBe(plain);
  });
});

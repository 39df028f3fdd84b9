import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import { createRefreshFamilies } from "../../../src/tokens/refresh-family.js";

const keyspace = createKeyspace({ secret: Buffer.alloc(32, 9) });
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const presented = (refreshToken: string) => ({ clientId: APP, grantType: "REFRESH_TOKEN" as const, refreshToken });
const issued = (refreshToken: string) => ({ clientId: APP, issuedAt: Date.now(), refreshToken });

describe("refresh-token families", () => {
  it("knows a root as unknown, a handed-out successor as live, a rotated token as rotated until its successor is refreshed, then as reused", async () => {
    const families = createRefreshFamilies({ store: createMemoryStore(), keyspace, enabled: true, ttlMs: 60_000, logger: silentStoreLogger });
    expect(await families.inspect(presented("r0"))).toEqual({ kind: "unknown" });
    await families.recordRotation(presented("r0"), issued("r1"), undefined);
    const r1 = await families.inspect(presented("r1"));
    expect(r1).toMatchObject({ kind: "live", family: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(await families.inspect(presented("r0"))).toEqual({ kind: "rotated", family: (r1 as { family: string }).family });
    await families.recordRotation(presented("r1"), issued("r2"), (r1 as { family: string }).family);
    expect(await families.inspect(presented("r0"))).toMatchObject({ kind: "reused" });
    expect(await families.inspect(presented("r1"))).toMatchObject({ kind: "rotated" });
    expect(await families.inspect(presented("r2"))).toMatchObject({ kind: "live" });
  });

  it("marks every member of a revoked family revoked, and keys no token in the store", async () => {
    const store = createMemoryStore();
    const keys: string[] = [];
    const recording = { ...store, set: async (key: string, value: Buffer, ttlMs: number) => { keys.push(key); return store.set(key, value, ttlMs); } };
    const families = createRefreshFamilies({ store: recording, keyspace, enabled: true, ttlMs: 60_000, logger: silentStoreLogger });
    await families.recordRotation(presented("aor-secret-0"), issued("aor-secret-1"), undefined);
    const verdict = await families.inspect(presented("aor-secret-1"));
    await families.revoke((verdict as { family: string }).family);
    for (const token of ["aor-secret-0", "aor-secret-1"]) expect(await families.inspect(presented(token))).toMatchObject({ kind: "revoked" });
    expect(keys.join(" ")).not.toContain("secret");
    expect(keys).toHaveLength(3);
  });

  it("keeps at most three nodes per family however often it refreshes, and still detects the replay of the token before the live one", async () => {
    const store = createMemoryStore();
    const families = createRefreshFamilies({ store, keyspace, enabled: true, ttlMs: 60_000, logger: silentStoreLogger });
    await families.recordRotation(presented("g0"), issued("g1"), undefined);
    const { family } = (await families.inspect(presented("g1"))) as { family: string };
    for (let n = 1; n < 50; n++) await families.recordRotation(presented(`g${n}`), issued(`g${n + 1}`), family);
    expect((await store.health()).detail).toContain("(process-local, 3 entries)");
    expect(await families.inspect(presented("g50"))).toMatchObject({ kind: "live" });
    expect(await families.inspect(presented("g49"))).toMatchObject({ kind: "rotated" });
    expect(await families.inspect(presented("g48"))).toMatchObject({ kind: "reused", family });
    expect(await families.inspect(presented("g40"))).toEqual({ kind: "unknown" });
  });

  it("does no bookkeeping when disabled (REFRESH_REUSE_DETECTION=false)", async () => {
    const families = createRefreshFamilies({ store: createMemoryStore(), keyspace, enabled: false, ttlMs: 60_000, logger: silentStoreLogger });
    await families.recordRotation(presented("r0"), issued("r1"), undefined);
    expect(await families.inspect(presented("r0"))).toEqual({ kind: "unknown" });
  });
});

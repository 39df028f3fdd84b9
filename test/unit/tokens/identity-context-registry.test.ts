import { describe, expect, it } from "vitest";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import { createIdentityContextRegistry } from "../../../src/tokens/identity-context-registry.js";
import { createRefreshFamilies, familyStores } from "../../../src/tokens/refresh-family.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 3) });

function setup(now = () => Date.now()) {
  const shared = createMemoryStore({ maxEntries: 2, maxBytes: 1 << 20 });
  const families = createRefreshFamilies({ ...familyStores(shared), keyspace, enabled: true, ttlMs: 60_000, logger: silentStoreLogger });
  const registry = createIdentityContextRegistry({ store: shared, keyspace, families, logger: silentStoreLogger, now });
  return { shared, families, registry };
}
const token = (identityContext: string | undefined, fields: Partial<IssuedToken> = {}): IssuedToken => ({
  clientId: APP, issuedAt: Date.now(), expiresIn: 3600, refreshToken: "refresh-1", ...(identityContext ? { awsAdditionalDetails: { identityContext } } : {}), ...fields,
});
const refusal = (promise: Promise<unknown>) => promise.then(() => "resolved", (error: { code?: string; details?: { field?: string } }) => `${error.code} ${error.details?.field}`);

describe("identity context registry", () => {
  it("knows the contexts it recorded, with their application, and refuses others naming the field", async () => {
    const { registry } = setup();
    await registry.remember(token("context-1"), () => undefined);
    await expect(registry.verify("context-1", "input.identityContext")).resolves.toEqual({ clientId: APP });
    expect(await refusal(registry.verify("context-2", "input.identityContext"))).toBe("BAD_USER_INPUT input.identityContext");
  });

  it("records nothing for an answer without an identity context, without expiresIn, or already expired", async () => {
    const { registry } = setup();
    await registry.remember(token(undefined), () => undefined);
    await registry.remember(token("no-expiry", { expiresIn: undefined }), () => undefined);
    await registry.remember(token("expired", { issuedAt: Date.now() - 3_601_000 }), () => undefined);
    for (const context of ["no-expiry", "expired"]) expect(await refusal(registry.verify(context, "f"))).toBe("BAD_USER_INPUT f");
  });

  it("does not even try to store an answer without expiresIn or one expiring this instant (no failed write, no warning)", async () => {
    const warnings: string[] = [];
    const logger = { ...silentStoreLogger, warn: (_fields: object, message: string) => void warnings.push(message) };
    const at = Date.now();
    const shared = createMemoryStore();
    const families = createRefreshFamilies({ ...familyStores(shared), keyspace, enabled: true, ttlMs: 60_000, logger });
    const registry = createIdentityContextRegistry({ store: shared, keyspace, families, logger, now: () => at });
    await registry.remember(token("no-expiry", { expiresIn: undefined }), () => undefined);
    await registry.remember(token("expiring-now", { issuedAt: at - 3_600_000, expiresIn: 3600 }), () => undefined);
    expect(warnings).toEqual([]);
    for (const context of ["no-expiry", "expiring-now"]) expect(await refusal(registry.verify(context, "f"))).toBe("BAD_USER_INPUT f");
  });

  it("never rejects when the store fails to record: it warns, with the reason and not the context", async () => {
    const warnings: Array<{ fields: object; message: string }> = [];
    const logger = { ...silentStoreLogger, warn: (fields: object, message: string) => void warnings.push({ fields, message }) };
    const failing = { ...createMemoryStore(), kind: "redis" as const, set: () => Promise.reject(new Error("connection lost")) };
    const families = createRefreshFamilies({ store: failing, keyspace, enabled: true, ttlMs: 60_000, logger });
    const registry = createIdentityContextRegistry({ store: failing, keyspace, families, logger });
    await expect(registry.remember(token("secret-context-value"), () => undefined)).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^identity contexts: could not record one/);
    expect(JSON.stringify(warnings[0]!.fields)).toContain("connection lost");
    expect(JSON.stringify(warnings)).not.toContain("secret-context-value");
  });

  it("refuses the context of a revoked refresh family with INVALID_GRANT", async () => {
    const { registry, families } = setup();
    const family = families.familyOf(APP, "refresh-1");
    await registry.remember(token("family-context"), () => family);
    await families.revoke(family);
    expect(await refusal(registry.verify("family-context", "input.identityContext"))).toBe("INVALID_GRANT input.identityContext");
  });

  it("records nothing while identity-enhanced credentials are off (no store write per exchange for a feature nobody uses)", async () => {
    const shared = createMemoryStore();
    const families = createRefreshFamilies({ store: shared, keyspace, enabled: true, ttlMs: 60_000, logger: silentStoreLogger });
    const off = createIdentityContextRegistry({ store: createMemoryStore(), keyspace, families, logger: silentStoreLogger, enabled: false });
    let familyDerived = 0;
    await off.remember(token("unused-context"), () => (familyDerived++, undefined));
    expect(await refusal(off.verify("unused-context", "f"))).toBe("BAD_USER_INPUT f");
    // Deriving the family is an HMAC per answer: not spent when nothing is recorded.
    expect(familyDerived).toBe(0);
  });

  it("derives the family only for an answer it records (not for one without an identity context)", async () => {
    const { registry } = setup();
    let familyDerived = 0;
    const familyOf = () => (familyDerived++, undefined);
    await registry.remember(token(undefined), familyOf);
    await registry.remember(token("expired", { issuedAt: Date.now() - 3_601_000 }), familyOf);
    expect(familyDerived).toBe(0);
    await registry.remember(token("recorded-context"), familyOf);
    expect(familyDerived).toBe(1);
  });

  it("on a shared store (Redis), records where every replica reads them, not in a memory store of its own", async () => {
    // A memory store standing in for Redis: the same operations, kind "redis" (what the registry decides by).
    const redis = { ...createMemoryStore(), kind: "redis" as const };
    const families = createRefreshFamilies({ store: redis, keyspace, enabled: true, ttlMs: 60_000, logger: silentStoreLogger });
    const [replica1, replica2] = [1, 2].map(() => createIdentityContextRegistry({ store: redis, keyspace, families, logger: silentStoreLogger }));
    await replica1!.remember(token("shared-context"), () => undefined);
    await expect(replica2!.verify("shared-context", "f")).resolves.toEqual({ clientId: APP });
  });

  it("keeps its records out of the shared memory store, so the response cache's churn never evicts them", async () => {
    const { registry, shared } = setup();
    await registry.remember(token("kept-context"), () => undefined);
    for (let i = 0; i < 10; i++) await shared.set(`churn-${i}`, Buffer.from("x"), 60_000);
    await expect(registry.verify("kept-context", "f")).resolves.toEqual({ clientId: APP });
  });

  it("refuses every context recorded for a user at or before their sign-out everywhere, from any application's own mark only; a later record and other users verify", async () => {
    let at = 1_000_000;
    const { registry } = setup(() => at);
    const idToken = (sub: string) => unsignedJwt({ sub });
    const now = Date.now();
    await registry.remember(token("ursula-1", { idToken: idToken("ursula"), issuedAt: now }), () => undefined);
    await registry.remember(token("victor-1", { idToken: idToken("victor"), issuedAt: now }), () => undefined);
    await registry.remember(token("no-id-token", { issuedAt: now }), () => undefined);
    await registry.forgetUser(APP, "ursula", at);
    await registry.forgetUser("arn:aws:sso::123456789012:application/ssoins-111111111111/apl-other", "victor", at);
    expect(await refusal(registry.verify("ursula-1", "f"))).toBe("BAD_USER_INPUT f");
    await expect(registry.verify("victor-1", "f")).resolves.toEqual({ clientId: APP });
    await expect(registry.verify("no-id-token", "f")).resolves.toEqual({ clientId: APP });
    at += 1;
    await registry.remember(token("ursula-2", { idToken: idToken("ursula"), issuedAt: now }), () => undefined);
    await expect(registry.verify("ursula-2", "f")).resolves.toEqual({ clientId: APP });
  });

  it("keeps a context's first user and time when its tokens are refreshed: a refresh after the mark does not outrun it, and a refresh answer without an ID token keeps the user", async () => {
    let at = 5_000_000;
    const { registry } = setup(() => at);
    const now = Date.now();
    await registry.remember(token("ctx", { idToken: unsignedJwt({ sub: "wanda" }), issuedAt: now }), () => undefined);
    at += 10;
    await registry.forgetUser(APP, "wanda", at);
    at += 10;
    await registry.remember(token("ctx", { idToken: unsignedJwt({ sub: "wanda" }), issuedAt: now }), () => undefined);
    expect(await refusal(registry.verify("ctx", "f"))).toBe("BAD_USER_INPUT f");
    await registry.remember(token("ctx", { issuedAt: now }), () => undefined);
    expect(await refusal(registry.verify("ctx", "f"))).toBe("BAD_USER_INPUT f");
  });
});

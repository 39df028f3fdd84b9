import { describe, expect, it } from "vitest";
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

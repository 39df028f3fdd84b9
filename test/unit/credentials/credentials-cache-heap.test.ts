import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCredentialsCache, CREDENTIALS_CACHE_MAX_BYTES, credentialsEntryBytes } from "../../../src/credentials/credentials-cache.js";
import type { IssuedCredentials } from "../../../src/credentials/credentials.types.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import { collectedHeapUsed } from "../../support/collected-heap.js";

/**
 * The credentials cache's byte bound (which the heap budget counts) covers the heap its entries
 * really hold, measured with the garbage collector, for session tokens of STS's usual and large sizes.
 */

const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const ENTRIES = 4_000;

function credentialsAsJson(sessionTokenBytes: number): string[] {
  return Array.from({ length: ENTRIES }, (_, i) => {
    const credentials: IssuedCredentials = {
      accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(sessionTokenBytes).toString("base64"), expiration: Date.now() + 3_600_000,
      roleArn: ROLE, assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idc-gateway-${i}`,
    };
    return JSON.stringify(credentials);
  });
}

describe("credentials cache: bytes counted", () => {
  it.each([600, 1_800])("covers the heap an entry holds (a session token of %i random bytes)", async (sessionTokenBytes) => {
    const jsons = credentialsAsJson(sessionTokenBytes);
    const fingerprints = jsons.map(() => randomBytes(32).toString("base64url"));
    const cache = createCredentialsCache({ store: createMemoryStore(), keyspace: createKeyspace({ secret: Buffer.alloc(32, 6), sealing: false }), logger: silentStoreLogger });
    let counted = 0;
    const before = collectedHeapUsed();
    for (let i = 0; i < ENTRIES; i++) {
      // As the STS answer hands them over, except the role: validation hands over the configuration's own string.
      const credentials = { ...(JSON.parse(jsons[i]!) as IssuedCredentials), roleArn: ROLE };
      counted += credentialsEntryBytes(credentials, fingerprints[i]!);
      await cache.save(fingerprints[i]!, credentials, 3600);
    }
    const held = collectedHeapUsed() - before;
    expect(jsons).toHaveLength(ENTRIES);
    expect(cache.peek(fingerprints[ENTRIES - 1]!)).toBeDefined();
    expect(counted).toBeGreaterThanOrEqual(held);
    expect(counted).toBeLessThan(1.6 * held);
    expect(CREDENTIALS_CACHE_MAX_BYTES).toBe(16 * 1024 * 1024);
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { SHARED_REDIS_URL, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { createCredentialsService, type CredentialsService } from "../../../src/credentials/index.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayStore, createMemoryStore, type Store } from "../../../src/store/index.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import type { StsUpstream, UpstreamAssumeRoleRequest, UpstreamRoleCredentials } from "../../../src/upstream/index.js";
import { closeAndForget, createGatedStore, deferred, raceConfig } from "../tokens/races/race-support.js";

/**
 * The credentials service over real stores (memory, and Redis shared by two "replicas") with a
 * controllable STS: calls are recorded and can be held, so interleavings are forced, not hoped for.
 */
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const config = raceConfig({ DEFAULT_ROLE_ARN: ROLE, MAX_EXCHANGES_PER_OPERATION: "2" });
const logger = createLogger({ level: "silent" });

interface ControllableSts extends StsUpstream {
  calls: UpstreamAssumeRoleRequest[];
  /** Holds the next call until `release()`; `arrived` resolves when it reached STS. */
  holdNext(): { arrived: Promise<void>; release(): void };
}

function controllableSts(): ControllableSts {
  const calls: UpstreamAssumeRoleRequest[] = [];
  const holds: Array<{ arrived: () => void; released: Promise<void> }> = [];
  return {
    calls,
    holdNext() {
      const arrived = deferred();
      const released = deferred();
      holds.push({ arrived: arrived.resolve, released: released.promise });
      return { arrived: arrived.promise, release: () => released.resolve() };
    },
    async assumeRoleWithIdentityContext(request): Promise<UpstreamRoleCredentials> {
      calls.push(request);
      const n = calls.length;
      const hold = holds.shift();
      if (hold) {
        hold.arrived();
        await hold.released;
      }
      if (request.identityContext === "refused") throw new GatewayError("ACCESS_DENIED");
      return { accessKeyId: `ASIA${String(n).padStart(16, "0")}`, secretAccessKey: `secret-${n}`, sessionToken: `token-${n}`, expiration: Date.now() + request.durationSeconds * 1000, assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/${request.roleSessionName}` };
    },
    health: () => ({ ok: true, circuit: "closed", detail: "" }),
    destroy() {},
  };
}

const service = (sts: StsUpstream, store: Store): CredentialsService => createCredentialsService({ config, sts, store, logger });

describe("credentials service, one process", () => {
  it("makes one STS call for identical requests of one operation, one per distinct request, with the gateway's session name", async () => {
    const sts = controllableSts();
    const request = service(sts, createMemoryStore()).forRequest();
    const [a, b, c] = await Promise.all([
      request.assumeRole({ identityContext: "context-1" }, ""),
      request.assumeRole({ identityContext: "context-1", roleArn: ROLE }, ""),
      request.assumeRole({ identityContext: "context-1", durationSeconds: 900 }, ""),
    ]);
    expect(b).toBe(a);
    expect(c.accessKeyId).not.toBe(a.accessKeyId);
    expect(sts.calls).toEqual([
      { identityContext: "context-1", roleArn: ROLE, durationSeconds: 3600, roleSessionName: "idc-token-gateway" },
      { identityContext: "context-1", roleArn: ROLE, durationSeconds: 900, roleSessionName: "idc-token-gateway" },
    ]);
    expect(a).toMatchObject({ roleArn: ROLE, assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idc-token-gateway" });
  });

  it("refuses the distinct request over MAX_EXCHANGES_PER_OPERATION before STS, while repeats of started ones still pass", async () => {
    const sts = controllableSts();
    const request = service(sts, createMemoryStore()).forRequest();
    await request.assumeRole({ identityContext: "context-a" }, "");
    await request.assumeRole({ identityContext: "context-b" }, "");
    await expect(request.assumeRole({ identityContext: "context-c" }, "")).rejects.toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringContaining("MAX_EXCHANGES_PER_OPERATION=2") });
    await expect(request.assumeRole({ identityContext: "context-a" }, "")).resolves.toMatchObject({ accessKeyId: expect.any(String) });
    expect(sts.calls).toHaveLength(2);
  });

  it("answers later operations from the cache, and concurrent ones from one call", async () => {
    const sts = controllableSts();
    const credentials = service(sts, createMemoryStore());
    const held = sts.holdNext();
    const first = credentials.forRequest().assumeRole({ identityContext: "context-x" }, "");
    await held.arrived;
    const joined = credentials.forRequest().assumeRole({ identityContext: "context-x" }, "");
    held.release();
    expect(await joined).toBe(await first);
    expect(await credentials.forRequest().assumeRole({ identityContext: "context-x" }, "")).toBe(await first);
    expect(sts.calls).toHaveLength(1);
  });

  it("passes STS's refusal to every caller of the flight and caches nothing", async () => {
    const sts = controllableSts();
    const credentials = service(sts, createMemoryStore());
    await expect(credentials.forRequest().assumeRole({ identityContext: "refused" }, "")).rejects.toMatchObject({ code: "ACCESS_DENIED" });
    await expect(credentials.forRequest().assumeRole({ identityContext: "refused" }, "")).rejects.toMatchObject({ code: "ACCESS_DENIED" });
    expect(sts.calls).toHaveLength(2);
  });
});

const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("credentials-service");
const opened: Store[] = [];
const redisStore = (): Store => {
  const store = createGatewayStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, logger: silentStoreLogger });
  opened.push(store);
  return store;
};
afterAll(() => closeAndForget(opened, sharedRedis.missing === undefined ? keyPrefix : undefined));

describeNeeding(sharedRedis, "credentials service, two replicas on Redis", () => {
  it("makes one STS call when both replicas ask at once: the second joins the first's flight", async () => {
    const sts = controllableSts();
    const held = sts.holdNext();
    const fromA = service(sts, redisStore()).forRequest().assumeRole({ identityContext: "shared-context" }, "");
    await held.arrived;
    const fromB = service(sts, redisStore()).forRequest().assumeRole({ identityContext: "shared-context" }, "");
    held.release();
    const [a, b] = await Promise.all([fromA, fromB]);
    expect(b).toEqual(a);
    expect(sts.calls).toHaveLength(1);
  });

  it("returns STS's answer when the store fails right after the call (nothing is lost)", async () => {
    const sts = controllableSts();
    const gated = createGatedStore(redisStore());
    const held = sts.holdNext();
    const answer = service(sts, gated).forRequest().assumeRole({ identityContext: "lost-store-context" }, "");
    await held.arrived;
    gated.kill();
    held.release();
    await expect(answer).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/), roleArn: ROLE });
    expect(sts.calls).toHaveLength(1);
  });
});

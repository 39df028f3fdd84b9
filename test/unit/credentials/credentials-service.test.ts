import { afterAll, describe, expect, it } from "vitest";
import { SHARED_REDIS_URL, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { createCredentialsService, roleSessionNameFor, type CredentialsService, type IdentityContextVerifier } from "../../../src/credentials/index.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayMetrics } from "../../../src/metrics/metrics.js";
import { createGatewayStore, createMemoryStore, type Store } from "../../../src/store/index.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import type { StsUpstream, UpstreamAssumeRoleRequest, UpstreamRoleCredentials } from "../../../src/upstream/index.js";
import { APP, closeAndForget, createGatedStore, deferred, drainMicrotasks, raceConfig } from "../tokens/races/race-support.js";

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

/** The token service's registry as far as these tests need it: contexts named "issued-…" were issued to APP. */
const identityContexts: IdentityContextVerifier = {
  verify: async (identityContext, field) => {
    if (identityContext.startsWith("issued-")) return { clientId: APP };
    throw new GatewayError("BAD_USER_INPUT", "not issued", { field });
  },
};
const service = (sts: StsUpstream, store: Store): CredentialsService => createCredentialsService({ config, sts, identityContexts, store, logger });

describe("credentials service, one process", () => {
  it("makes one STS call for identical requests of one operation, one per distinct request, with the gateway's session name", async () => {
    const sts = controllableSts();
    const request = service(sts, createMemoryStore()).forRequest();
    const [a, b, c] = await Promise.all([
      request.forIssuedTokens({ identityContext: "context-1", clientId: APP }, {}),
      request.forIssuedTokens({ identityContext: "context-1", clientId: APP }, { roleArn: ROLE }),
      request.forIssuedTokens({ identityContext: "context-1", clientId: APP }, { durationSeconds: 900 }),
    ]);
    expect(b).toBe(a);
    expect(c.accessKeyId).not.toBe(a.accessKeyId);
    expect(sts.calls).toEqual([
      { identityContext: "context-1", roleArn: ROLE, durationSeconds: 3600, roleSessionName: "idcgw-apl-222222222222" },
      { identityContext: "context-1", roleArn: ROLE, durationSeconds: 900, roleSessionName: "idcgw-apl-222222222222" },
    ]);
    expect(a).toMatchObject({ roleArn: ROLE, assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idcgw-apl-222222222222" });
  });

  it("refuses the distinct request over MAX_EXCHANGES_PER_OPERATION before STS, while repeats of started ones still pass", async () => {
    const sts = controllableSts();
    const request = service(sts, createMemoryStore()).forRequest();
    await request.forIssuedTokens({ identityContext: "context-a", clientId: APP }, {});
    await request.forIssuedTokens({ identityContext: "context-b", clientId: APP }, {});
    await expect(request.forIssuedTokens({ identityContext: "context-c", clientId: APP }, {})).rejects.toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringContaining("MAX_EXCHANGES_PER_OPERATION=2") });
    await expect(request.forIssuedTokens({ identityContext: "context-a", clientId: APP }, {})).resolves.toMatchObject({ accessKeyId: expect.any(String) });
    expect(sts.calls).toHaveLength(2);
  });

  it("answers later operations from the cache, and concurrent ones from one call", async () => {
    const sts = controllableSts();
    const credentials = service(sts, createMemoryStore());
    const held = sts.holdNext();
    const first = credentials.forRequest().forIssuedTokens({ identityContext: "context-x", clientId: APP }, {});
    await held.arrived;
    const joined = credentials.forRequest().forIssuedTokens({ identityContext: "context-x", clientId: APP }, {});
    held.release();
    expect(await joined).toBe(await first);
    expect(await credentials.forRequest().forIssuedTokens({ identityContext: "context-x", clientId: APP }, {})).toBe(await first);
    expect(sts.calls).toHaveLength(1);
  });

  it("turns into credentials only identity contexts the gateway issued, before the cache and before STS, naming the input field", async () => {
    const sts = controllableSts();
    const credentials = service(sts, createMemoryStore());
    await expect(credentials.forRequest().forIdentityContext({ identityContext: "made-up-context" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "input.identityContext" } });
    // Even one whose credentials are cached from the field path: the cache never answers for an identity context that no longer holds.
    await credentials.forRequest().forIssuedTokens({ identityContext: "withdrawn-context", clientId: APP }, {});
    await expect(credentials.forRequest().forIdentityContext({ identityContext: "withdrawn-context" })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    const issued = await credentials.forRequest().forIdentityContext({ identityContext: "issued-context", durationSeconds: 1800 });
    expect(issued.accessKeyId).toMatch(/^ASIA/);
    expect(sts.calls.map((call) => call.identityContext)).toEqual(["withdrawn-context", "issued-context"]);
  });

  it("names the application of the identity context in the RoleSessionName, never a user", () => {
    expect(roleSessionNameFor(APP)).toBe("idcgw-apl-222222222222");
    expect(roleSessionNameFor("not-an-arn")).toBe("idc-token-gateway");
  });

  it("passes STS's refusal to every caller of the flight and caches no credentials (the refusal itself is remembered: credentials-refusals.test.ts)", async () => {
    const sts = controllableSts();
    const credentials = service(sts, createMemoryStore());
    const held = sts.holdNext();
    const first = credentials.forRequest().forIssuedTokens({ identityContext: "refused", clientId: APP }, {});
    await held.arrived;
    const joined = credentials.forRequest().forIssuedTokens({ identityContext: "refused", clientId: APP }, {});
    await drainMicrotasks();
    held.release();
    for (const answer of [first, joined]) await expect(answer).rejects.toMatchObject({ code: "ACCESS_DENIED" });
    expect(sts.calls).toHaveLength(1);
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
    const fromA = service(sts, redisStore()).forRequest().forIssuedTokens({ identityContext: "shared-context", clientId: APP }, {});
    await held.arrived;
    const storeB = createGatedStore(redisStore());
    // B must find A's flight (its lock taken) while A is still at STS, not A's answer in the cache afterwards.
    const bFoundTheLock = storeB.next<boolean>("setIfAbsent", "sf-lock");
    const fromB = service(sts, storeB).forRequest().forIssuedTokens({ identityContext: "shared-context", clientId: APP }, {});
    const lock = await Promise.race([bFoundTheLock, fromB.then(() => Promise.reject(new Error("B answered without trying A's flight lock")))]);
    expect(lock.result).toBe(false);
    held.release();
    const [a, b] = await Promise.all([fromA, fromB]);
    expect(b).toEqual(a);
    expect(sts.calls).toHaveLength(1);
  });

  it("returns STS's answer when the store fails right after the call (nothing is lost)", async () => {
    const sts = controllableSts();
    const gated = createGatedStore(redisStore());
    const held = sts.holdNext();
    const answer = service(sts, gated).forRequest().forIssuedTokens({ identityContext: "lost-store-context", clientId: APP }, {});
    await held.arrived;
    gated.kill();
    held.release();
    await expect(answer).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/), roleArn: ROLE });
    expect(sts.calls).toHaveLength(1);
  });
});

describe("createCredentialsService: its dependencies, checked up front", () => {
  const valid = { config, sts: controllableSts(), identityContexts, store: createMemoryStore(), logger };
  it.each([
    ["a short gateway secret", { config: { ...config, gatewaySecret: Buffer.alloc(31) } }, "createCredentialsService: config.gatewaySecret must be a Buffer of at least 32 bytes (use loadConfig)"],
    ["a gateway secret that is not a Buffer", { config: { ...config, gatewaySecret: "x".repeat(40) as unknown as Buffer } }, "createCredentialsService: config.gatewaySecret must be a Buffer of at least 32 bytes (use loadConfig)"],
    ["no STS client", { sts: {} as StsUpstream }, "createCredentialsService: sts must come from createStsUpstream()"],
    ["no identity-context verifier", { identityContexts: {} as IdentityContextVerifier }, "createCredentialsService: identityContexts must be the token service's identityContexts"],
    ["no store", { store: {} as Store }, "createCredentialsService: store must be a Store (createGatewayStore)"],
    ["no logger", { logger: {} as typeof logger }, "createCredentialsService: logger must be a pino logger"],
  ])("refuses %s", (_name, override, message) => {
    expect(() => createCredentialsService({ ...valid, ...override })).toThrow(new TypeError(message));
  });

  it("accepts a secret of exactly 32 bytes", () => {
    expect(() => createCredentialsService({ ...valid, config: { ...config, gatewaySecret: Buffer.alloc(32, 1) } })).not.toThrow();
  });
});

describe("credentials service: budgets and metrics", () => {
  it("spends the caller's upstream budget once per STS call, never for a cache hit or a joined flight, and counts each outcome", async () => {
    const sts = controllableSts();
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const spent: string[] = [];
    const credentials = createCredentialsService({ config, sts, identityContexts, store: createMemoryStore(), logger, metrics, callerUpstreamRateLimit: { consume: async (address) => void spent.push(address) } });
    const caller = { address: "203.0.113.7" };
    const held = sts.holdNext();
    const first = credentials.forRequest(caller).forIdentityContext({ identityContext: "issued-budget" });
    await held.arrived;
    const joined = credentials.forRequest(caller).forIdentityContext({ identityContext: "issued-budget" });
    // The second request reaches the flight while the first is still at STS (memory store: no I/O, no time passes).
    await drainMicrotasks();
    held.release();
    await Promise.all([first, joined]);
    await credentials.forRequest(caller).forIdentityContext({ identityContext: "issued-budget" });
    await expect(credentials.forRequest(caller).forIssuedTokens({ identityContext: "refused", clientId: APP }, {})).rejects.toMatchObject({ code: "ACCESS_DENIED" });
    expect(spent).toEqual(["203.0.113.7", "203.0.113.7"]);
    const values = async (name: "stsCalls" | "credentialsLookups") => Object.fromEntries((await metrics[name].get()).values.map((value) => [Object.values(value.labels)[0], value.value]));
    expect(await values("stsCalls")).toEqual({ ok: 1, ACCESS_DENIED: 1 });
    // A refused call is counted by its STS outcome, not as a lookup.
    expect(await values("credentialsLookups")).toEqual({ miss: 1, follower: 1, hit: 1 });
  });

  it("refuses over the caller's budget before STS, with the budget's own error", async () => {
    const sts = controllableSts();
    const credentials = createCredentialsService({
      config, sts, identityContexts, store: createMemoryStore(), logger,
      callerUpstreamRateLimit: { consume: async () => Promise.reject(new GatewayError("RATE_LIMITED")) },
    });
    await expect(credentials.forRequest({ address: "198.51.100.1" }).forIdentityContext({ identityContext: "issued-over-budget" })).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await expect(credentials.forRequest().forIdentityContext({ identityContext: "issued-no-caller" })).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
    expect(sts.calls.map((call) => call.identityContext)).toEqual(["issued-no-caller"]);
  });
});

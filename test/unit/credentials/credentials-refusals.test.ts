import { afterAll, describe, expect, it } from "vitest";
import { SHARED_REDIS_URL, uniqueKeyPrefix } from "../../integration/store/redis-test-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { createCredentialsService, type IdentityContextVerifier } from "../../../src/credentials/index.js";
import { createCredentialsRefusals, isFinalRefusal, REFUSAL_MEMORY_MS } from "../../../src/credentials/credentials-refusals.js";
import { GatewayError, type ErrorCode } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayStore, createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import { silentStoreLogger } from "../../../src/store/store.types.js";
import type { StsUpstream, UpstreamAssumeRoleRequest } from "../../../src/upstream/index.js";
import { APP, closeAndForget, raceConfig } from "../tokens/races/race-support.js";

/**
 * Final STS refusals (ACCESS_DENIED, INVALID_REQUEST, INVALID_REQUEST_REGION) are
 * remembered per credentials fingerprint for REFUSAL_MEMORY_MS in the store: repeats get the same
 * error with no STS call and no budget spent; transient failures are not remembered; a failing store
 * means asking STS.
 */
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const config = raceConfig({ DEFAULT_ROLE_ARN: ROLE });
const logger = createLogger({ level: "silent" });
const identityContexts: IdentityContextVerifier = { verify: async () => ({ clientId: APP }) };

/** An STS that answers every call with `answer` (an error code, or credentials) and records the calls. */
function scriptedSts(answer: () => ErrorCode | "ok"): StsUpstream & { calls: UpstreamAssumeRoleRequest[] } {
  const calls: UpstreamAssumeRoleRequest[] = [];
  return {
    calls,
    async assumeRoleWithIdentityContext(request) {
      calls.push(request);
      const code = answer();
      if (code !== "ok") throw new GatewayError(code, `STS said ${code}`, { awsException: "Scripted", awsRequestId: "req-1" });
      return { accessKeyId: `ASIA${String(calls.length).padStart(16, "0")}`, secretAccessKey: "s", sessionToken: "t", expiration: Date.now() + 3_600_000, assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/r/s" };
    },
    health: () => ({ ok: true, circuit: "closed", detail: "" }),
    destroy() {},
  };
}

/** Budgets that record who spent them. */
function recordingBudgets() {
  const spent: string[] = [];
  return { spent, callerUpstreamRateLimit: { consume: async (address: string) => void spent.push(`caller ${address}`) }, stsRateLimit: { consume: async (key: string) => void spent.push(`sts ${key}`) } };
}

const ask = (service: ReturnType<typeof createCredentialsService>, address: string, roleArn?: string) =>
  service.forRequest({ address }).forIdentityContext({ identityContext: "issued-context", ...(roleArn ? { roleArn } : {}) });

describe("isFinalRefusal", () => {
  it.each<[ErrorCode, boolean]>([
    ["ACCESS_DENIED", true], ["EXPIRED_TOKEN", false], ["INVALID_REQUEST", true], ["INVALID_REQUEST_REGION", true],
    ["SLOW_DOWN", false], ["RATE_LIMITED", false], ["UPSTREAM_UNAVAILABLE", false], ["UPSTREAM_SERVER_ERROR", false],
    ["GATEWAY_CREDENTIALS_INVALID", false], ["INTERNAL_SERVER_ERROR", false],
  ])("%s → %s", (code, final) => {
    expect(isFinalRefusal(new GatewayError(code))).toBe(final);
  });

  it("is false for anything that is not a GatewayError", () => {
    expect(isFinalRefusal(Object.assign(new Error("x"), { code: "ACCESS_DENIED" }))).toBe(false);
  });
});

describe("the credentials service remembers final STS refusals", () => {
  it("answers repeats of a refused request from any caller with the same error, no STS call and no budget spent", async () => {
    const sts = scriptedSts(() => "ACCESS_DENIED");
    const budgets = recordingBudgets();
    const service = createCredentialsService({ config, sts, identityContexts, store: createMemoryStore(), logger, ...budgets });
    const errors = [];
    for (const address of ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1"]) errors.push(await ask(service, address).catch((error: unknown) => error));
    expect(sts.calls).toHaveLength(1);
    expect(budgets.spent).toEqual(["caller 192.0.2.1", "sts assume-role"]);
    for (const error of errors) expect(error).toMatchObject({ code: "ACCESS_DENIED", message: "STS said ACCESS_DENIED", details: { awsException: "Scripted" } });
    // Not STS's request id: the repeats made no request.
    expect((errors[1] as GatewayError).details.awsRequestId).toBeUndefined();
  });

  it.each<ErrorCode>(["SLOW_DOWN", "UPSTREAM_UNAVAILABLE", "UPSTREAM_SERVER_ERROR", "GATEWAY_CREDENTIALS_INVALID"])("asks STS again after %s", async (code) => {
    let answers = 0;
    const sts = scriptedSts(() => (answers++ === 0 ? code : "ok"));
    const service = createCredentialsService({ config, sts, identityContexts, store: createMemoryStore(), logger });
    await expect(ask(service, "192.0.2.9")).rejects.toMatchObject({ code });
    await expect(ask(service, "192.0.2.9")).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
    expect(sts.calls).toHaveLength(2);
  });

  it("does not remember a refusal of the gateway's own budgets (RATE_LIMITED): STS never answered", async () => {
    const sts = scriptedSts(() => "ok");
    let refuse = true;
    const service = createCredentialsService({
      config, sts, identityContexts, store: createMemoryStore(), logger,
      stsRateLimit: { consume: async () => (refuse ? Promise.reject(new GatewayError("RATE_LIMITED", "over RATE_LIMIT_STS_PER_SECOND=1")) : undefined) },
    });
    await expect(ask(service, "192.0.2.10")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    refuse = false;
    await expect(ask(service, "192.0.2.10")).resolves.toMatchObject({ accessKeyId: expect.any(String) });
    expect(sts.calls).toHaveLength(1);
  });

  it("asks STS when the store cannot say (reads and writes of refusals fail)", async () => {
    const memory = createMemoryStore();
    const failing: Store = {
      ...memory,
      kind: memory.kind,
      ordered: memory.ordered,
      get: (key) => (key.includes(":aws-credentials-refused:") ? Promise.reject(new Error("store down")) : memory.get(key)),
      set: (key, value, ttlMs) => (key.includes(":aws-credentials-refused:") ? Promise.reject(new Error("store down")) : memory.set(key, value, ttlMs)),
    };
    const sts = scriptedSts(() => "ACCESS_DENIED");
    const service = createCredentialsService({ config, sts, identityContexts, store: failing, logger });
    for (let n = 0; n < 3; n++) await expect(ask(service, "192.0.2.20")).rejects.toMatchObject({ code: "ACCESS_DENIED" });
    expect(sts.calls).toHaveLength(3);
  });
});

describe("createCredentialsRefusals", () => {
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });

  it("keeps a refusal for REFUSAL_MEMORY_MS (30 s) under an HMAC key, sealed: neither holds the fingerprint", async () => {
    const writes: Array<{ key: string; value: Buffer; ttlMs: number }> = [];
    const memory = createMemoryStore();
    const store: Store = { ...memory, kind: memory.kind, ordered: memory.ordered, set: async (key, value, ttlMs) => void writes.push({ key, value, ttlMs }) };
    const fingerprint = "f".repeat(64);
    await createCredentialsRefusals({ store, keyspace, logger: silentStoreLogger }).remember(fingerprint, new GatewayError("INVALID_REQUEST"));
    expect(REFUSAL_MEMORY_MS).toBe(30_000);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.ttlMs).toBe(30_000);
    expect(writes[0]!.key).toMatch(/^idc:v1:aws-credentials-refused:[A-Za-z0-9_-]{43}$/);
    expect(writes[0]!.value.toString("latin1")).not.toContain("INVALID_REQUEST");
  });

  it("forgets a refusal when its time is up", async () => {
    const refusals = createCredentialsRefusals({ store: createMemoryStore(), keyspace, logger: silentStoreLogger, ttlMs: 20 });
    await refusals.remember("fp", new GatewayError("ACCESS_DENIED"));
    expect(await refusals.recall("fp")).toMatchObject({ code: "ACCESS_DENIED" });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await refusals.recall("fp")).toBeUndefined();
  });
});

const sharedRedis = await probeSharedRedis();
const keyPrefix = uniqueKeyPrefix("credentials-refusals");
const opened: Store[] = [];
afterAll(() => closeAndForget(opened, sharedRedis.missing === undefined ? keyPrefix : undefined));

describeNeeding(sharedRedis, "remembered refusals on Redis", () => {
  it("answers a refusal one replica met on the other, without STS", async () => {
    const replica = () => {
      const store = createGatewayStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, logger: silentStoreLogger });
      opened.push(store);
      return store;
    };
    const sts = scriptedSts(() => "ACCESS_DENIED");
    const one = createCredentialsService({ config, sts, identityContexts, store: replica(), logger });
    const two = createCredentialsService({ config, sts, identityContexts, store: replica(), logger });
    await expect(ask(one, "192.0.2.30")).rejects.toMatchObject({ code: "ACCESS_DENIED" });
    await expect(ask(two, "192.0.2.31")).rejects.toMatchObject({ code: "ACCESS_DENIED", details: { awsException: "Scripted" } });
    expect(sts.calls).toHaveLength(1);
  });
});

import { Counter } from "prom-client";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import { createRefreshFamilies } from "../../../src/tokens/refresh-family.js";
import { createReuseGuard } from "../../../src/tokens/reuse-guard.js";
import { createStoreFailureLog } from "../../../src/coordination/store-failure-log.js";
import { recordingStoreLogger, storeFailing } from "./store-doubles.js";

/** The gateway's answer to refresh-token reuse, on the real family bookkeeping over a memory store. */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 5) });
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const presented = (refreshToken: string) => ({ clientId: APP, grantType: "REFRESH_TOKEN" as const, refreshToken });

/** A real prom-client counter in no registry, read back as `{ label: value }`. */
function counter<Label extends string>(label: Label) {
  const metric = new Counter<Label>({ name: `test_${label}_total`, help: "test", labelNames: [label], registers: [] });
  const counts = async () => Object.fromEntries((await metric.get()).values.map(({ labels, value }) => [String(labels[label]), value]));
  return { metric, counts };
}

function guardOver(store = createMemoryStore()) {
  const logger = recordingStoreLogger();
  const families = createRefreshFamilies({ store, keyspace, enabled: true, ttlMs: 60_000, logger });
  const outcomes = counter("outcome");
  const failures = counter("cause");
  const storeFailures = createStoreFailureLog(logger, failures.metric);
  const guard = createReuseGuard({ families, logger, storeFailures, counter: outcomes.metric });
  return { guard, logger, outcomes, failures };
}

describe("reuse guard", () => {
  it("lets an unknown, live or rotated token through refuse() without a word", async () => {
    const { guard, logger, outcomes } = guardOver();
    for (const kind of ["live", "rotated"] as const) await guard.refuse(presented("rt"), { kind, family: "fam" });
    await guard.refuse(presented("rt"), { kind: "unknown" });
    expect(logger.lines).toEqual([]);
    expect(await outcomes.counts()).toEqual({});
  });

  it("refuses a token of a revoked family: INVALID_GRANT it recognises as its own, a warn naming the family and the application, counted", async () => {
    const { guard, logger, outcomes } = guardOver();
    const refusal = await guard.refuse(presented("rt"), { kind: "revoked", family: "fam-1" }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ code: "INVALID_GRANT" });
    expect(guard.isRefusal(refusal)).toBe(true);
    expect(await outcomes.counts()).toEqual({ revoked: 1 });
    expect(logger.lines).toEqual([{ level: "warn", fields: { event: "refresh_token_family_revoked", family: "fam-1", clientId: APP }, message: "refresh reuse: refused a refresh token of a revoked family" }]);
  });

  it("refuses a reused token and revokes its whole family, so its live successor is refused next", async () => {
    const store = createMemoryStore();
    const { guard, logger, outcomes } = guardOver(store);
    const families = createRefreshFamilies({ store, keyspace, enabled: true, ttlMs: 60_000, logger: recordingStoreLogger() });
    await families.recordRotation(presented("r0"), { clientId: APP, issuedAt: 1, refreshToken: "r1" }, undefined);
    const live = (await families.inspect(presented("r1"))) as { family: string };
    const refusal = await guard.refuse(presented("r0"), { kind: "reused", family: live.family }).catch((error: unknown) => error);
    expect(guard.isRefusal(refusal)).toBe(true);
    expect(refusal).toMatchObject({ code: "INVALID_GRANT" });
    expect(await families.inspect(presented("r1"))).toEqual({ kind: "revoked", family: live.family });
    expect(await outcomes.counts()).toEqual({ reuse: 1 });
    expect(logger.lines).toEqual([
      { level: "warn", fields: { event: "refresh_token_reuse", family: live.family, clientId: APP }, message: "refresh reuse: a rotated refresh token was presented after its successor was refreshed; revoked its whole family" },
    ]);
  });

  it("still refuses a reused token when the revocation cannot be written, and reports that store step once", async () => {
    const { guard, logger, failures } = guardOver(storeFailing(createMemoryStore(), ["set"]));
    for (let attempt = 0; attempt < 2; attempt++) {
      const refusal = await guard.refuse(presented("r0"), { kind: "reused", family: "fam-2" }).catch((error: unknown) => error);
      expect(guard.isRefusal(refusal)).toBe(true);
    }
    expect(await failures.counts()).toEqual({ error: 2 });
    expect(logger.lines.filter((line) => line.level === "error")).toEqual([
      { level: "error", fields: { step: "refresh family revocation", reason: "redis down: ECONNREFUSED" }, message: "store failure: the exchange went on without this step (logged once per cause)" },
    ]);
  });

  it("refuses a rotated token in refuseRotated() without revoking anything, and lets every other verdict through", async () => {
    const { guard, logger, outcomes } = guardOver();
    for (const kind of ["live", "reused", "revoked"] as const) guard.refuseRotated(presented("rt"), { kind, family: "fam" });
    guard.refuseRotated(presented("rt"), { kind: "unknown" });
    expect(logger.lines).toEqual([]);
    let refusal: unknown;
    try {
      guard.refuseRotated(presented("rt"), { kind: "rotated", family: "fam-3" });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ code: "INVALID_GRANT" });
    expect(guard.isRefusal(refusal)).toBe(true);
    expect(await outcomes.counts()).toEqual({ rotated: 1 });
    expect(logger.lines).toEqual([{ level: "warn", fields: { event: "refresh_token_rotated", family: "fam-3", clientId: APP }, message: "refresh reuse: refused a refresh token rotated before the grace window" }]);
  });

  it("does not claim an INVALID_GRANT it did not raise (AWS's own), nor non-objects", () => {
    const { guard } = guardOver();
    expect(guard.isRefusal(new GatewayError("INVALID_GRANT"))).toBe(false);
    expect(guard.isRefusal(null)).toBe(false);
    expect(guard.isRefusal("INVALID_GRANT")).toBe(false);
  });
});

describe("store failure log", () => {
  it("counts every failure, logs each distinct cause once, and stops logging new causes after 64", async () => {
    const logger = recordingStoreLogger();
    const failures = counter("cause");
    const log = createStoreFailureLog(logger, failures.metric);
    log.report("lock release", new Error("timeout"));
    log.report("lock release", new Error("timeout\nat stack"));
    log.report("hand-off", new Error("timeout"));
    for (let n = 0; n < 100; n++) log.report("bookkeeping", new Error(`cause ${n}`));
    expect(await failures.counts()).toEqual({ error: 103 });
    expect(logger.lines).toHaveLength(64);
    expect(logger.lines.slice(0, 2).map((line) => line.fields)).toEqual([
      { step: "lock release", reason: "timeout" },
      { step: "hand-off", reason: "timeout" },
    ]);
    expect(logger.lines.at(-1)?.fields).toEqual({ step: "bookkeeping", reason: "cause 61" });
  });
});

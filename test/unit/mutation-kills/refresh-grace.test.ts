import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import { createRefreshGrace } from "../../../src/tokens/refresh-grace.js";
import { recordingStoreLogger, storeFailing, storeRecordingTtls } from "./store-doubles.js";

/** The refresh grace window on its own: what is kept, under which request, and what a failing store costs. */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });
const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const rotated = (scope?: string[]) => ({ clientId: APP, grantType: "REFRESH_TOKEN" as const, refreshToken: "rt-rotated", ...(scope === undefined ? {} : { scope }) });
const successor = { clientId: APP, issuedAt: 1_700_000_000_000, accessToken: "at-next", refreshToken: "rt-next", expiresIn: 3600, tokenType: "Bearer" };

describe("refresh grace window", () => {
  it("is on for a positive window and off for 0", () => {
    const store = createMemoryStore();
    expect(createRefreshGrace({ store, keyspace, graceMs: 30_000, logger: recordingStoreLogger() }).enabled).toBe(true);
    expect(createRefreshGrace({ store, keyspace, graceMs: 0, logger: recordingStoreLogger() }).enabled).toBe(false);
  });

  it("serves the kept successor, whatever order the scope was given in, and quietly nothing for a token it never kept", async () => {
    const logger = recordingStoreLogger();
    const grace = createRefreshGrace({ store: createMemoryStore(), keyspace, graceMs: 30_000, logger });
    await grace.remember(rotated(["openid", "aws"]), successor);
    expect(await grace.successorOf(rotated(["aws", "openid"]))).toEqual(successor);
    expect(await grace.successorOf(rotated())).toBeUndefined();
    expect(logger.lines).toEqual([]);
  });

  it("with the window off, neither keeps a successor nor serves one another replica kept in the shared store", async () => {
    const store = createMemoryStore();
    const on = createRefreshGrace({ store, keyspace, graceMs: 30_000, logger: recordingStoreLogger() });
    const off = createRefreshGrace({ store, keyspace, graceMs: 0, logger: recordingStoreLogger() });
    await off.remember(rotated(), successor);
    expect(await on.successorOf(rotated())).toBeUndefined();
    await on.remember(rotated(), successor);
    expect(await off.successorOf(rotated())).toBeUndefined();
  });

  it("keeps a successor only for the window: the store entry's TTL is the window", async () => {
    const { store: recording, ttls } = storeRecordingTtls(createMemoryStore());
    await createRefreshGrace({ store: recording, keyspace, graceMs: 12_345, logger: recordingStoreLogger() }).remember(rotated(), successor);
    expect(ttls).toEqual([12_345]);
  });

  it("answers 'no successor' when the store cannot be read, and warns with the first line of the cause only", async () => {
    const logger = recordingStoreLogger();
    const grace = createRefreshGrace({ store: storeFailing(createMemoryStore(), ["get"]), keyspace, graceMs: 30_000, logger });
    expect(await grace.successorOf(rotated())).toBeUndefined();
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "redis down: ECONNREFUSED" }, message: "refresh grace: lookup failed" }]);
  });

  it("goes on when the successor cannot be kept, and warns with the first line of the cause, at most 200 characters", async () => {
    const logger = recordingStoreLogger();
    const longCause = `${"x".repeat(250)}\nsecond line`;
    const grace = createRefreshGrace({ store: storeFailing(createMemoryStore(), ["set"], longCause), keyspace, graceMs: 30_000, logger });
    await grace.remember(rotated(), successor);
    expect(logger.lines).toEqual([{ level: "warn", fields: { reason: "x".repeat(200) }, message: "refresh grace: could not keep the successor" }]);
  });

  it("describes a non-Error rejection by its string form", async () => {
    const logger = recordingStoreLogger();
    const store = Object.assign(Object.create(createMemoryStore()), { get: async () => Promise.reject("plain refusal") });
    await createRefreshGrace({ store, keyspace, graceMs: 30_000, logger }).successorOf(rotated());
    expect(logger.lines.map((line) => line.fields)).toEqual([{ reason: "plain refusal" }]);
  });
});

import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayStore, type StoreLogger } from "../../../src/store/index.js";

describe("createGatewayStore", () => {
  it("is the bounded memory store when no REDIS_URL is configured", async () => {
    const store = createGatewayStore({ redisUrl: undefined, logger: createLogger({ level: "silent" }) });
    expect(store.kind).toBe("memory");
    expect(await store.health()).toMatchObject({ ok: true, status: "up" });
    await store.close();
  });

  it("is the Redis store behind the resilient wrapper when REDIS_URL is set, and takes the gateway's pino logger", async () => {
    const logger: StoreLogger = createLogger({ level: "silent" });
    const store = createGatewayStore({ redisUrl: "redis://127.0.0.1:1", logger });
    expect(store.kind).toBe("redis");
    // Nothing listens on port 1: the store keeps serving from memory and says so.
    await store.set("k", Buffer.from("v"), 1_000);
    expect(await store.get("k")).toEqual(Buffer.from("v"));
    expect((await store.health()).status).toBe("degraded");
    await store.close();
  });
});

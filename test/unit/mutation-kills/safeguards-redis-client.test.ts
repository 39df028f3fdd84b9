import { afterEach, describe, expect, it } from "vitest";
import { createRedisClient, isKnownDown, type RedisClient } from "../../../src/store/index.js";
import { freePort } from "../../support/free-port.js";

/**
 * The Redis client's two safeguards (src/store/redis-client.ts): a Cluster command with no node to take it is
 * answered at its command timeout instead of waiting in the Cluster's own offline queue for good, and
 * isKnownDown, which the store's fail-fast and the rate limiter's insurance read.
 */
const made: RedisClient[] = [];
afterEach(() => {
  for (const client of made.splice(0)) client.disconnect();
});

describe("a Cluster client with no node to send a command to", () => {
  it("answers each command 'Command timed out' at its command timeout, connecting or not", async () => {
    const client = createRedisClient(`redis+cluster://127.0.0.1:${await freePort()}`, { commandTimeoutMs: 200, connectTimeoutMs: 200, reconnectMaxDelayMs: 200 });
    client.on("error", () => undefined);
    made.push(client);
    // Without the bound both wait in the Cluster's offline queue until a node answers: never, here.
    const answers = await Promise.allSettled([client.get("safeguards:never"), client.incr("safeguards:never")]);
    expect(answers.map((answer) => answer.status === "rejected" ? (answer.reason as Error).message : "answered")).toEqual(["Command timed out", "Command timed out"]);
  }, 10_000);
});

describe("isKnownDown", () => {
  it("is true for ioredis' states with no connection and none being made, false while connecting or connected", () => {
    const withStatus = (status: string) => ({ status }) as unknown as RedisClient;
    for (const status of ["reconnecting", "close", "end", "disconnecting"]) expect([status, isKnownDown(withStatus(status))]).toEqual([status, true]);
    for (const status of ["wait", "connecting", "connect", "ready", "monitoring", ""]) expect([status, isKnownDown(withStatus(status))]).toEqual([status, false]);
  });
});

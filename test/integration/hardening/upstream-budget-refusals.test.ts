import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway } from "../../support/gateway-process.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { findFreePort, startRedisServer } from "../store/redis-test-support.js";

/**
 * An exchange past its caller's upstream budget (RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND) or its
 * application's (RATE_LIMIT_APP_PER_SECOND), refused moments ago, is refused before any coordination on Redis. Refused inside the single-flight, as before, each uncached exchange of such a
 * caller still took the flight's lock, stored its shared error, published it and released the lock:
 * ~30 Redis commands a refusal (attacker's review), from a caller that costs AWS nothing.
 */

const redisServerBinary = probeRedisServerBinary();

async function commandsServed(client: Redis): Promise<number> {
  const stats = await client.info("commandstats");
  return [...stats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].filter(([, name]) => name !== "info").reduce((sum, [, , calls]) => sum + Number(calls), 0);
}

/** Exchanges of distinct assertions from one caller on a gateway of its own Redis: the first two's outcomes, the Redis commands each later refusal cost, and the upstream calls made. */
async function refusedExchanges(budgets: Record<string, string>): Promise<{ first: Array<string | undefined>; refusalCosts: number[]; windows: number; upstreamCalls: number }> {
  const redis = await startRedisServer(await findFreePort());
  const client = new Redis(redis.url);
  const gateway = await startGateway({
    env: {
      REDIS_URL: redis.url, GATEWAY_SECRET: "upstream-budget-refusals-secret-0123456789",
      // Only the budget under test limits this caller: the per-request limit (its own script a request) is off.
      RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "1000", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "1000",
      ...budgets,
    },
  });
  try {
    const emulator = emulatorApi(gateway.emulatorUrl!);
    const assertions = await Promise.all(Array.from({ length: 22 }, () => emulator.mintAssertion()));
    const exchange = async (assertion: string) => {
      const response = await fetch(gateway.url, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "mutation($a: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $a }) { accessToken } }", variables: { a: assertion } }),
      });
      const body = (await response.json()) as { data?: { createTokenWithIAM: { accessToken: string } | null }; errors?: Array<{ extensions: { code: string } }> };
      return body.data?.createTokenWithIAM?.accessToken !== undefined ? "ok" : body.errors?.[0]?.extensions.code;
    };
    // The budget's one call goes to AWS; the next is refused inside its flight, which records the refusal.
    const first = [await exchange(assertions[0]!), await exchange(assertions[1]!)];
    // Each request's own commands; a window that ends on a slow machine lets one through, which is not a refusal and not counted.
    const refusalCosts: number[] = [];
    const started = Date.now();
    for (const assertion of assertions.slice(2)) {
      const before = await commandsServed(client);
      const outcome = await exchange(assertion);
      const cost = (await commandsServed(client)) - before;
      if (outcome === "RATE_LIMITED") refusalCosts.push(cost);
      else expect(outcome).toBe("ok");
    }
    return { first, refusalCosts, windows: Math.ceil((Date.now() - started) / 1000), upstreamCalls: await emulator.createTokenWithIAMCalls() };
  } finally {
    await gateway.stop();
    client.disconnect();
    await redis.stop();
  }
}

describeNeeding(redisServerBinary, "an exchange past an upstream budget, on Redis", () => {
  it.each([
    ["its caller's (RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND)", { RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "1", RATE_LIMIT_CALLER_UPSTREAM_BURST: "0" }],
    ["its application's (RATE_LIMIT_APP_PER_SECOND)", { RATE_LIMIT_APP_PER_SECOND: "1" }],
  ])("past %s is refused RATE_LIMITED at the cost of a cache lookup: at most 2 Redis commands a refusal (a GET), where each cost ~8 to 30", async (_label, budgets) => {
    const { first, refusalCosts, windows, upstreamCalls } = await refusedExchanges(budgets);
    expect(first).toEqual(["ok", "RATE_LIMITED"]);
    // The response cache's lookup (a GET), nothing else: no lock, no shared error, no publish.
    const cheap = refusalCosts.filter((cost) => cost <= 2);
    expect(cheap.length).toBeGreaterThanOrEqual(10);
    // The refusal this process remembers ends with its window; the first exchange after it goes into its flight and,
    // when Redis's window outlasts it by a hair, is refused there at full cost (and remembered again): once a window.
    expect(refusalCosts.length - cheap.length).toBeLessThanOrEqual(windows);
    // One call per second the budget allows: the first, and any a window's end let through on a slow machine.
    expect(upstreamCalls).toBe(1 + (20 - refusalCosts.length));
  });
});

import type { BenchEmulator } from "../support/emulator.js";
import { jwtBearerExchangeBody, refreshBody } from "../support/graphql-bodies.js";
import { measureReplicaBurst } from "../support/replica-burst.js";
import type { BenchRow } from "../support/types.js";

/**
 * (d) A refresh storm over 3 gateways on one Redis: one refresh token, `callers` concurrent
 * refreshes spread round-robin across three gateway processes sharing REDIS_URL and
 * GATEWAY_SECRET. Refresh-race safety means one upstream call and every caller served the
 * same new pair. The bench's GATEWAY_SECRET is fresh per run, so its Redis keys meet no other run's.
 */
export async function measureRefreshStorm(options: { emulator: BenchEmulator; rounds: number; callers: number }): Promise<BenchRow> {
  const assertions = await options.emulator.mintAssertions(options.rounds, "storm");
  return measureReplicaBurst({
    id: "d",
    scenario: `(d) refresh storm: ${options.callers} concurrent refreshes over 3 gateways on one Redis ×${options.rounds} rounds`,
    emulator: options.emulator, rounds: options.rounds, callers: options.callers,
    name: "storm-gateway",
    prepareRound: async (url, round) => refreshBody(await exchangeForRefreshToken(url, assertions[round]!)),
    field: "refreshToken",
    identityField: "accessToken",
    upstreamCalls: () => options.emulator.createTokenWithIamCalls(),
  });
}

async function exchangeForRefreshToken(url: string, assertion: string): Promise<string> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: jwtBearerExchangeBody(assertion) });
  const answer = (await response.json()) as { data?: { createTokenWithIAM?: { refreshToken?: string } } };
  const refreshToken = answer.data?.createTokenWithIAM?.refreshToken;
  if (!refreshToken) throw new Error(`refresh storm: the exchange for a refresh token failed: ${JSON.stringify(answer).slice(0, 300)}`);
  return refreshToken;
}

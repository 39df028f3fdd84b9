import type { BenchEmulator } from "../support/emulator.js";
import { sendBurst } from "../support/burst.js";
import { startBenchGateway } from "../support/gateway.js";
import { jwtBearerExchangeBody } from "../support/graphql-bodies.js";
import { peakRssMb } from "../support/processes.js";
import type { BenchRow } from "../support/types.js";
import { BENCH_REDIS_URL, redisAnswers } from "./refresh-storm.js";

/** The emulator's default role, which allows sts:SetContext. */
const ROLE_ARN = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const RENEW = "mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId expiration } }";

/**
 * (creds) A burst of identity-enhanced credential requests over 3 gateways on one Redis: one
 * identity context per round (a fresh sign-in), `callers` concurrent assumeRoleWithIdentityContext
 * spread round-robin over three gateway processes sharing REDIS_URL and GATEWAY_SECRET. Shared
 * coordination means one STS AssumeRole per round and every caller served the same credentials.
 */
export async function measureCredentialsBurst(options: { emulator: BenchEmulator; rounds: number; callers: number }): Promise<BenchRow> {
  const base = {
    id: "creds",
    scenario: `(creds) ${options.callers} concurrent identical credential requests over 3 gateways on one Redis ×${options.rounds} rounds`,
    system: "gateways x3" as const,
    connections: options.callers,
    requestsPerSecond: null,
    successesPerSecond: null,
    p50Ms: null,
  };
  if (!(await redisAnswers(BENCH_REDIS_URL))) {
    return { ...base, p99Ms: null, requests: 0, failures: 0, upstreamCalls: null, peakRssMb: null, notes: `SKIPPED: no Redis at ${BENCH_REDIS_URL}` };
  }
  const env = { REDIS_URL: BENCH_REDIS_URL, DEFAULT_ROLE_ARN: ROLE_ARN };
  const gateways = await Promise.all([0, 1, 2].map((i) => startBenchGateway({ name: `credentials-gateway-${i}`, emulatorUrl: options.emulator.url, env })));
  try {
    const urls = gateways.map((g) => g.url);
    const assertions = await options.emulator.mintAssertions(options.rounds, "credentials");
    const callsPerRound: number[] = [];
    const walls: number[] = [];
    const served: string[] = [];
    let mostDistinct = 0;
    const errorCodes: Record<string, number> = {};
    let failures = 0;
    for (const assertion of assertions) {
      const identityContext = await signInForIdentityContext(urls[0]!, assertion);
      const body = JSON.stringify({ query: RENEW, variables: { input: { identityContext } } });
      const before = await options.emulator.assumeRoleCalls();
      const burst = await sendBurst(urls, Array.from({ length: options.callers }, () => body), "assumeRoleWithIdentityContext", "accessKeyId");
      callsPerRound.push((await options.emulator.assumeRoleCalls()) - before);
      walls.push(burst.wallMs);
      failures += burst.failures;
      served.push(`${burst.successes} ok/${burst.distinctAccessTokens} distinct`);
      mostDistinct = Math.max(mostDistinct, burst.distinctAccessTokens);
      for (const [code, n] of Object.entries(burst.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
    }
    const errors = Object.entries(errorCodes).map(([code, n]) => `${code}×${n}`).join(" ");
    return {
      ...base,
      p99Ms: Math.max(...walls),
      requests: options.rounds * options.callers,
      failures,
      upstreamCalls: Math.max(...callsPerRound),
      peakRssMb: Math.max(...gateways.map((g) => peakRssMb(g.pid) ?? 0)),
      // Callers of one round handed different credentials: the coordination failed, whatever the call count says.
      ...(mostDistinct > 1 ? { invalid: `a round handed out ${mostDistinct} different sets of credentials` } : {}),
      notes: `upstream calls here are STS AssumeRole calls; per round ${callsPerRound.join(",")}; served ${served.join(", ")}; burst wall time (p99 column) ${walls.join("/")} ms${errors ? `; errors ${errors}` : ""}`,
    };
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
  }
}

async function signInForIdentityContext(url: string, assertion: string): Promise<string> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: jwtBearerExchangeBody(assertion) });
  const exchanged = (await response.json()) as { data?: { createTokenWithIAM?: { awsAdditionalDetails?: { identityContext?: string } } } };
  const identityContext = exchanged.data?.createTokenWithIAM?.awsAdditionalDetails?.identityContext;
  if (!identityContext) throw new Error(`credentials burst: the sign-in returned no identity context: ${JSON.stringify(exchanged).slice(0, 300)}`);
  return identityContext;
}

import type { BenchEmulator } from "../support/emulator.js";
import { jwtBearerExchangeBody } from "../support/graphql-bodies.js";
import { measureReplicaBurst } from "../support/replica-burst.js";
import type { BenchRow } from "../support/types.js";

/** The emulator's default role, which allows sts:SetContext. */
const ROLE_ARN = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const RENEW = "mutation Renew($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId expiration } }";

/**
 * (creds) A burst of identity-enhanced credential requests over 3 gateways on one Redis: one
 * identity context per round (a fresh sign-in), `callers` concurrent assumeRoleWithIdentityContext
 * spread over the three. Shared coordination means one STS AssumeRole per round and every caller
 * served the same credentials (the row's upstream calls are AssumeRole calls).
 */
export async function measureCredentialsBurst(options: { emulator: BenchEmulator; rounds: number; callers: number }): Promise<BenchRow> {
  const assertions = await options.emulator.mintAssertions(options.rounds, "credentials");
  return measureReplicaBurst({
    id: "creds",
    scenario: `(creds) ${options.callers} concurrent identical credential requests over 3 gateways on one Redis ×${options.rounds} rounds`,
    emulator: options.emulator, rounds: options.rounds, callers: options.callers,
    env: { DEFAULT_ROLE_ARN: ROLE_ARN },
    name: "credentials-gateway",
    prepareRound: async (url, round) => JSON.stringify({ query: RENEW, variables: { input: { identityContext: await signInForIdentityContext(url, assertions[round]!) } } }),
    field: "assumeRoleWithIdentityContext",
    identityField: "accessKeyId",
    upstreamCalls: () => options.emulator.assumeRoleCalls(),
  });
}

async function signInForIdentityContext(url: string, assertion: string): Promise<string> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: jwtBearerExchangeBody(assertion) });
  const exchanged = (await response.json()) as { data?: { createTokenWithIAM?: { awsAdditionalDetails?: { identityContext?: string } } } };
  const identityContext = exchanged.data?.createTokenWithIAM?.awsAdditionalDetails?.identityContext;
  if (!identityContext) throw new Error(`credentials burst: the sign-in returned no identity context: ${JSON.stringify(exchanged).slice(0, 300)}`);
  return identityContext;
}

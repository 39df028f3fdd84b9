/**
 * Small helpers of the token-state tests (reuse detection, cache life, late answers, store
 * failures): what a user or an operator sees of one gateway process — GraphQL answers, /metrics
 * counters, /readyz, log lines.
 */
import { graphql, type GraphQLResult } from "../../support/gateway-client.js";
import type { GatewayProcess } from "../../support/gateway-process.js";
import type { IssuedTokens } from "../scale/scale-support.js";

const EXCHANGE = /* GraphQL */ `
  mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken refreshToken idToken } }
`;

export function authorizationCode(replica: GatewayProcess, code: string, redirectUri: string): Promise<GraphQLResult<{ createTokenWithIAM: IssuedTokens }>> {
  return graphql(replica.url, EXCHANGE, { input: { grantType: "AUTHORIZATION_CODE", code, redirectUri } });
}

/** The extensions.code of a result's only error, or "ok" when it has data and no error. */
export function outcomeOf(result: GraphQLResult): string {
  const errors = result.body.errors ?? [];
  if (errors.length === 0 && result.body.data) return "ok";
  return errors.map((error) => String(error.extensions?.code)).join(",");
}

/** The value of one Prometheus sample (`name{labels}`) on the replica's /metrics, 0 when absent. */
export async function metricValue(replica: GatewayProcess, sample: string): Promise<number> {
  const text = await (await fetch(new URL("/metrics", replica.url))).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

export async function readiness(replica: GatewayProcess): Promise<{ status: number; body: { status: string; checks: Record<string, { ok: boolean; detail: string }> } }> {
  const response = await fetch(new URL("/readyz", replica.url));
  return { status: response.status, body: (await response.json()) as never };
}

/** pino's numeric levels. */
export const LEVEL = { info: 30, warn: 40, error: 50 } as const;

export function linesAt(replica: GatewayProcess, level: number): Array<Record<string, unknown>> {
  return replica.logLines().filter((line) => line.level === level);
}

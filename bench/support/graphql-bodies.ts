/**
 * The GraphQL request bodies the bench sends: the same documents to the gateway and to the naive
 * gateway (AWS's nine response fields), so both serialize the same answer.
 */

const RESPONSE_FIELDS = "accessToken tokenType expiresIn refreshToken idToken issuedTokenType scope awsAdditionalDetails { identityContext }";

const EXCHANGE = `mutation Exchange($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { ${RESPONSE_FIELDS} } }`;
const REFRESH = `mutation Refresh($refreshToken: String!) { refreshToken(input: { refreshToken: $refreshToken }) { ${RESPONSE_FIELDS} } }`;

export function jwtBearerExchangeBody(assertion: string): string {
  return JSON.stringify({ query: EXCHANGE, operationName: "Exchange", variables: { assertion } });
}

export function refreshBody(refreshToken: string): string {
  return JSON.stringify({ query: REFRESH, operationName: "Refresh", variables: { refreshToken } });
}

export const TYPENAME_BODY = JSON.stringify({ query: "{ __typename }" });

const SIZE_FLOOR_QUERY = "{ gateway { allowedClientIds } }";

/**
 * (b)'s floor on this server stack: a request as long as `bodyChars` (a variable the operation does
 * not declare pads it) answered by one list field, the bench gateway's allowed applications (sized in
 * support/gateway.ts to answer about as many bytes as (b)). Parsing, validating, executing one
 * field and serializing and writing the same bytes: about the least a GraphQL answer of that size costs here.
 */
export function sizeFloorBody(bodyChars: number): string {
  const unpadded = JSON.stringify({ query: SIZE_FLOOR_QUERY, variables: { padding: "" } }).length;
  return JSON.stringify({ query: SIZE_FLOOR_QUERY, variables: { padding: "x".repeat(Math.max(0, bodyChars - unpadded)) } });
}

/** Cycles through a pool; `wrapped` tells whether any body was sent twice (a distinct-exchange run must not). */
export function rotate<T>(pool: readonly T[], toBody: (item: T) => string): { next: () => string; nextOrNone: () => string | undefined; wrapped: () => boolean; used: () => number } {
  let index = 0;
  return {
    next: () => toBody(pool[index++ % pool.length]!),
    /** Undefined once every item was used: for runs that must stop rather than repeat. */
    nextOrNone: () => (index < pool.length ? toBody(pool[index++]!) : undefined),
    wrapped: () => index > pool.length,
    used: () => index,
  };
}

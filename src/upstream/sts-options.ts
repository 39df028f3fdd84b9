import type { CreateUpstreamOptions } from "./upstream.types.js";

/**
 * The options of an STS client made from the SSO OIDC upstream's: the same region, credentials,
 * timeouts and logger, at STS's own endpoint. `stsEndpoint` undefined means AWS's regional STS, never
 * SSO OIDC's endpoint: an SSO OIDC VPC endpoint or regional host does not serve STS (an emulator,
 * which serves both, is named explicitly: STS_ENDPOINT's default, load-config.ts).
 */
export function stsOptionsOf(upstream: CreateUpstreamOptions, stsEndpoint: string | undefined): CreateUpstreamOptions {
  const { endpoint: _ssoOidcEndpoint, verifyCredentials: _verify, ...rest } = upstream;
  return stsEndpoint === undefined ? rest : { ...rest, endpoint: stsEndpoint };
}

export { createUpstream } from "./create-upstream.js";
export { stsOptionsOf } from "./sts-options.js";
// createStsUpstream is imported from ./create-sts-upstream.js directly: it loads @aws-sdk/client-sts, which a
// gateway without identity-enhanced credentials never needs in memory.
export { mapUpstreamError, SSO_OIDC_EXCEPTION_CODES, STS_EXCEPTION_CODES } from "./map-upstream-error.js";
export { isAvailabilityFault } from "./circuit-breaker.js";
export { DEFAULT_UPSTREAM_DEADLINE_MS, singleUseAnswerTimeoutMs } from "./upstream.types.js";
export {
  DEFAULT_CIRCUIT_BREAKER,
  UPSTREAM_GRANT_TYPES,
  type CreateUpstreamOptions,
  type GatewayUpstream,
  type StsUpstream,
  type UpstreamAssumeRoleRequest,
  type UpstreamRoleCredentials,
  type UpstreamHealth,
  type Upstream,
  type UpstreamGrantType,
  type UpstreamTokenRequest,
  type UpstreamTokenResponse,
} from "./upstream.types.js";

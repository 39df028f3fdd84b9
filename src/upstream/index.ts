export { createUpstream } from "./create-upstream.js";
export { mapUpstreamError, SSO_OIDC_EXCEPTION_CODES } from "./map-upstream-error.js";
export {
  UPSTREAM_GRANT_TYPES,
  type CreateUpstreamOptions,
  type Upstream,
  type UpstreamGrantType,
  type UpstreamTokenRequest,
  type UpstreamTokenResponse,
} from "./upstream.types.js";

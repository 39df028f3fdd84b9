export { carriedThroughOutage } from "./outage-carried-keys.js";
export { createTokenService, type TokenService, type TokenServiceDeps, type TokenServiceHealth } from "./token-service.js";
export { type TokenMetrics, singleFlightLockTtlMs, DEFAULT_COORDINATION } from "./exchange-settings.js";
export { type ApplicationRateLimit } from "./upstream-call.js";
export { validateTokenRequest, LIMITS as TOKEN_REQUEST_LIMITS, type ValidTokenRequest } from "./grant-validation.js";
export * from "./token.types.js";

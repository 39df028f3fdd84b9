export { createTokenService, type TokenService, type TokenServiceDeps } from "./token-service.js";
export { validateTokenRequest, LIMITS as TOKEN_REQUEST_LIMITS, type ValidTokenRequest } from "./grant-validation.js";
export * from "./token.types.js";

export { createRateLimits, type CreateRateLimitsOptions } from "./create-rate-limits.js";
export type { RateLimit, RateLimits } from "./rate-limit.types.js";

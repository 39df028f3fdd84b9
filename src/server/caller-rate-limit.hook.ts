import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isGatewayError } from "../errors/error-codes.js";
import type { RateLimit } from "../ratelimit/index.js";
import { callerKeyOf } from "./caller-key.js";

/**
 * The per-caller rate limit, enforced before Apollo sees the request: over it, HTTP 429 with
 * `Retry-After` and a GraphQL-shaped body (`extensions.code` RATE_LIMITED, `retryAfterSeconds`).
 * The caller is fastify's `request.ip` (X-Forwarded-For only with TRUST_PROXY), an IPv6 caller counted by its network (IPV6_CALLER_PREFIX_LENGTH, caller-key.ts).
 */
export function registerCallerRateLimit(app: FastifyInstance, options: { rateLimit: RateLimit; applies: (request: FastifyRequest) => boolean; ipv6PrefixLength?: number | undefined }): void {
  const { rateLimit, applies, ipv6PrefixLength } = options;
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    if (!applies(request)) return;
    try {
      await rateLimit.consume(callerKeyOf(request, ipv6PrefixLength));
    } catch (error) {
      if (!isGatewayError(error) || error.code !== "RATE_LIMITED") throw error;
      const retryAfterSeconds = error.details.retryAfterSeconds ?? 1;
      return reply
        .code(429)
        .header("retry-after", String(retryAfterSeconds))
        .send({ errors: [{ message: error.message, extensions: { code: "RATE_LIMITED", retryable: true, retryAfterSeconds } }] });
    }
  });
}

import type { FastifyRequest } from "fastify";
import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayContext } from "../schema/context.js";
import { callerKey } from "./caller-key.js";
import type { TokenService } from "./server.types.js";

/**
 * Builds each GraphQL request's context. `tokenService.forRequest()` is called per request
 * because the RequestTokenService holds that request's DataLoader: sharing one would dedupe
 * (and cache) across users. It is handed the caller's address (fastify's `request.ip`, which
 * honours TRUST_PROXY), an IPv6 caller by its /64 (caller-key.ts): the key of that caller's upstream budget.
 */
export function createContextFunction(deps: { config: GatewayConfig; tokenService: TokenService; logger: Logger }) {
  const { config, tokenService, logger } = deps;
  return async (request: FastifyRequest): Promise<GatewayContext> => ({
    tokens: tokenService.forRequest({ address: callerKey(request.ip) }),
    config,
    logger,
    requestId: request.id,
  });
}

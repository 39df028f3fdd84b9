import type { FastifyRequest } from "fastify";
import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayContext } from "../schema/context.js";
import { callerKey } from "./caller-key.js";
import { GatewayError } from "../errors/error-codes.js";
import type { RequestCredentialsService } from "../credentials/index.js";
import type { CredentialsService, TokenService } from "./server.types.js";

/** A server built without a credentials service: both credentials entry points refuse, naming the field. */
const notConfigured = (field: string): Promise<never> =>
  Promise.reject(new GatewayError("BAD_USER_INPUT", "Identity-enhanced credentials are not configured on this gateway.", { field }));
const CREDENTIALS_NOT_CONFIGURED: RequestCredentialsService = {
  forIssuedTokens: () => notConfigured("roleArn"),
  forIdentityContext: () => notConfigured("input.roleArn"),
};

/**
 * Builds each GraphQL request's context. `tokenService.forRequest()` is called per request
 * because the RequestTokenService holds that request's DataLoader: sharing one would dedupe
 * (and cache) across users. It is handed the caller's address (fastify's `request.ip`, which
 * honours TRUST_PROXY), an IPv6 caller by its /64 (caller-key.ts): the key of that caller's upstream budget.
 */
export function createContextFunction(deps: { config: GatewayConfig; tokenService: TokenService; credentialsService?: CredentialsService | undefined; logger: Logger }) {
  const { config, tokenService, credentialsService, logger } = deps;
  return async (request: FastifyRequest): Promise<GatewayContext> => {
    const caller = { address: callerKey(request.ip) };
    return {
      tokens: tokenService.forRequest(caller),
      credentials: credentialsService?.forRequest(caller) ?? CREDENTIALS_NOT_CONFIGURED,
      config,
      logger,
      requestId: request.id,
    };
  };
}

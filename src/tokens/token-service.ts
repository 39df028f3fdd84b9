import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import type { Upstream } from "../upstream/index.js";
import { createRequestTokenService } from "./request-token-service.js";
import type { RequestTokenService } from "./token.types.js";

export interface TokenServiceDeps {
  config: GatewayConfig;
  upstream: Upstream;
  logger: Logger;
}

/** Process-wide token service; `forRequest()` gives each GraphQL operation its own loader. */
export interface TokenService {
  forRequest(): RequestTokenService;
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { config, upstream, logger } = getValidTokenServiceDeps(deps);
  return {
    forRequest: () => createRequestTokenService({ config, upstream, logger }),
  };
}

function getValidTokenServiceDeps(deps: TokenServiceDeps): TokenServiceDeps {
  if (!Buffer.isBuffer(deps.config?.gatewaySecret) || deps.config.gatewaySecret.length < 32) {
    throw new TypeError("createTokenService: config.gatewaySecret must be a Buffer of at least 32 bytes (use loadConfig)");
  }
  if (!deps.config.allowedClientIds.includes(deps.config.defaultClientId)) {
    throw new TypeError(`createTokenService: config.allowedClientIds must contain config.defaultClientId (got ${JSON.stringify(deps.config.defaultClientId)})`);
  }
  if (typeof deps.upstream?.createTokenWithIAM !== "function") throw new TypeError("createTokenService: upstream must come from createUpstream()");
  if (typeof deps.logger?.debug !== "function") throw new TypeError("createTokenService: logger must be a pino logger");
  return deps;
}

import DataLoader from "dataloader";
import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import { fingerprintTokenRequest } from "./fingerprint.js";
import { validateTokenRequest, type ValidTokenRequest } from "./grant-validation.js";
import { asGatewayError, type Exchange } from "./token-exchanger.js";
import type { IssuedToken, RequestTokenService, TokenRequest } from "./token.types.js";

/** Distinct exchanges sent upstream concurrently from one batch; more are split into further batches. */
export const MAX_BATCH_SIZE = 25;

export interface RequestTokenServiceDeps {
  config: Pick<GatewayConfig, "defaultClientId" | "allowedClientIds" | "gatewaySecret">;
  /** The process-wide pipeline (cache, grace window, single-flight, upstream) behind this request's loader. */
  exchange: Exchange;
  logger: Logger;
}

/**
 * The token service for one GraphQL operation. Its DataLoader is keyed by the exchange's keyed
 * fingerprint, so identical exchanges in one operation (aliases, repeated fields) cost one upstream
 * call and share its answer (the same object), including a single-use code or a rotating refresh
 * token. Across requests and replicas, `exchange` coordinates. Dies with the request.
 */
export function createRequestTokenService(deps: RequestTokenServiceDeps): RequestTokenService {
  const { config, exchange, logger } = deps;
  /** A validated request with its fingerprint, computed once: the loader's key and the exchange's single-flight/cache key. */
  type Keyed = { request: ValidTokenRequest; fingerprint: string };

  // Created on the first exchange: most operations a gateway answers (health probes, { gateway }, introspection) make none.
  let loader: DataLoader<Keyed, IssuedToken, string> | undefined;
  const createLoader = () =>
    new DataLoader<Keyed, IssuedToken, string>(
      async (batch) => {
        logger.debug({ exchanges: batch.length }, "CreateTokenWithIAM batch");
        // dataloader's contract: one result per key, in order; a failure is an Error value, not a throw.
        return Promise.all(batch.map(({ request, fingerprint }) => exchange(request, fingerprint).catch(asGatewayError)));
      },
      { cacheKeyFn: (keyed) => keyed.fingerprint, maxBatchSize: MAX_BATCH_SIZE },
    );

  const createToken = async (request: TokenRequest): Promise<IssuedToken> => {
    const valid = validateTokenRequest(request, config);
    return (loader ??= createLoader()).load({ request: valid, fingerprint: fingerprintTokenRequest(valid, config.gatewaySecret) });
  };

  return {
    createToken,
    refresh: (request) => createToken({ clientId: request.clientId ?? null, grantType: "REFRESH_TOKEN", refreshToken: request.refreshToken, scope: request.scope ?? null }),
  };
}

import DataLoader from "dataloader";
import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import { fingerprintTokenRequest } from "./fingerprint.js";
import { validateTokenRequest, type ValidTokenRequest } from "./grant-validation.js";
import { asGatewayError, type TokenExchanger } from "./token-exchanger.js";
import type { IssuedToken, MaybePromise, RequestTokenService, TokenRequest } from "./token.types.js";

/** Distinct exchanges sent upstream concurrently from one batch; more are split into further batches. */
export const MAX_BATCH_SIZE = 25;

export interface RequestTokenServiceDeps {
  config: Pick<GatewayConfig, "defaultClientId" | "allowedClientIds" | "gatewaySecret">;
  /** The process-wide pipeline (cache, grace window, single-flight, upstream) behind this request's loader. */
  exchanger: TokenExchanger;
  logger: Logger;
}

/**
 * The token service for one GraphQL operation. Its DataLoader is keyed by the exchange's keyed
 * fingerprint, so identical exchanges in one operation (aliases, repeated fields) cost one upstream
 * call and share its answer (the same object), including a single-use code or a rotating refresh
 * token. Across requests and replicas, the exchanger coordinates. Dies with the request.
 *
 * An answer the process-local response cache holds is returned at once, without the loader: the
 * loader's batching tick and promises cost a cache hit more than the rest of its work. Identical
 * exchanges in one operation then each read the same cached object (each counted as a hit).
 */
export function createRequestTokenService(deps: RequestTokenServiceDeps): RequestTokenService {
  const { config, exchanger, logger } = deps;
  /** A validated request with its fingerprint, computed once: the loader's key and the exchange's single-flight/cache key. */
  type Keyed = { request: ValidTokenRequest; fingerprint: string };

  // Created on the first exchange: most operations a gateway answers (health probes, { gateway }, introspection) make none.
  let loader: DataLoader<Keyed, IssuedToken, string> | undefined;
  const createLoader = () =>
    new DataLoader<Keyed, IssuedToken, string>(
      async (batch) => {
        logger.debug({ exchanges: batch.length }, "CreateTokenWithIAM batch");
        // dataloader's contract: one result per key, in order; a failure is an Error value, not a throw.
        return Promise.all(batch.map(({ request, fingerprint }) => exchanger.exchange(request, fingerprint).catch(asGatewayError)));
      },
      { cacheKeyFn: (keyed) => keyed.fingerprint, maxBatchSize: MAX_BATCH_SIZE },
    );

  const createToken = (request: TokenRequest): MaybePromise<IssuedToken> => {
    let keyed: Keyed;
    try {
      const valid = validateTokenRequest(request, config);
      keyed = { request: valid, fingerprint: fingerprintTokenRequest(valid, config.gatewaySecret) };
    } catch (error) {
      // Invalid input rejects, as every other failure does: callers see one way to fail.
      return Promise.reject(error);
    }
    return exchanger.cachedAnswer(keyed.request, keyed.fingerprint) ?? (loader ??= createLoader()).load(keyed);
  };

  return {
    createToken,
    refresh: (request) => createToken({ clientId: request.clientId ?? null, grantType: "REFRESH_TOKEN", refreshToken: request.refreshToken, scope: request.scope ?? null }),
  };
}

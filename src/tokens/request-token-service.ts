import DataLoader from "dataloader";
import type { GatewayConfig } from "../config/config.types.js";
import { GatewayError, isGatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { Upstream, UpstreamTokenRequest } from "../upstream/index.js";
import { fingerprintTokenRequest } from "./fingerprint.js";
import { validateTokenRequest, type ValidTokenRequest } from "./grant-validation.js";
import { toIssuedToken } from "./issued-token.js";
import { GRANT_TYPE_URIS, type IssuedToken, type RequestTokenService, type TokenRequest } from "./token.types.js";

/** Distinct exchanges sent upstream concurrently from one batch; more are split into further batches. */
export const MAX_BATCH_SIZE = 25;

export interface RequestTokenServiceDeps {
  config: Pick<GatewayConfig, "defaultClientId" | "allowedClientIds" | "gatewaySecret">;
  upstream: Upstream;
  logger: Logger;
}

/**
 * The token service for one GraphQL operation. Its DataLoader is keyed by the exchange's keyed
 * fingerprint, so identical exchanges in one operation (aliases, repeated fields) cost one upstream
 * call and share its answer, including a single-use code or a rotating refresh token. Dies with the request.
 */
export function createRequestTokenService(deps: RequestTokenServiceDeps): RequestTokenService {
  const { config, upstream, logger } = deps;
  const fingerprint = (request: ValidTokenRequest) => fingerprintTokenRequest(request, config.gatewaySecret);

  const loader = new DataLoader<ValidTokenRequest, IssuedToken, string>(
    async (requests) => {
      logger.debug({ exchanges: requests.length }, "CreateTokenWithIAM batch");
      // dataloader's contract: one result per key, in order; a failure is an Error value, not a throw.
      return Promise.all(requests.map((request) => exchange(upstream, request).catch(asGatewayError)));
    },
    { cacheKeyFn: fingerprint, maxBatchSize: MAX_BATCH_SIZE },
  );

  const createToken = async (request: TokenRequest): Promise<IssuedToken> => {
    const valid = validateTokenRequest(request, config);
    return loader.load(valid);
  };

  return {
    createToken,
    refresh: (request) => createToken({ clientId: request.clientId ?? null, grantType: "REFRESH_TOKEN", refreshToken: request.refreshToken, scope: request.scope ?? null }),
  };
}

async function exchange(upstream: Upstream, request: ValidTokenRequest): Promise<IssuedToken> {
  const response = await upstream.createTokenWithIAM(toUpstreamRequest(request));
  return toIssuedToken(response, request.clientId, Date.now());
}

function toUpstreamRequest(request: ValidTokenRequest): UpstreamTokenRequest {
  const { grantType, scope, ...fields } = request;
  return { ...fields, grantType: GRANT_TYPE_URIS[grantType] as UpstreamTokenRequest["grantType"], ...(scope === undefined ? {} : { scope: [...scope] }) };
}

/** The upstream rejects with GatewayError only; anything else is a gateway bug and is masked. */
function asGatewayError(error: unknown): GatewayError {
  return isGatewayError(error) ? error : new GatewayError("INTERNAL_SERVER_ERROR", undefined, {}, { cause: error });
}

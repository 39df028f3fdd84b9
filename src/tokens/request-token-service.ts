import DataLoader from "dataloader";
import type { GatewayConfig, OperationLimits } from "../config/config.types.js";
import { GatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import { createGrantPrecheck, type GrantPrecheck } from "./grant-precheck.js";
import { createRequestKeyer, type KeyedRequest, type RequestKeyer } from "./request-keyer.js";
import type { TokenExchanger } from "./token-exchanger.js";
import { asGatewayError } from "./upstream-call.js";
import type { IssuedToken, MaybePromise, RequestCaller, RequestTokenService, TokenRequest } from "./token.types.js";

/** Grants AWS consumes on first use: an answer the operation did not deliver is kept for the retry (keepUndelivered). */
type SingleUseGrant = "AUTHORIZATION_CODE" | "REFRESH_TOKEN";

/** Distinct exchanges sent upstream concurrently from one batch; more are split into further batches. */
export const MAX_BATCH_SIZE = 25;
/** MAX_EXCHANGES_PER_OPERATION's documented default, for configs built without loadConfig. */
export const DEFAULT_MAX_EXCHANGES_PER_OPERATION = 3;

export interface RequestTokenServiceDeps {
  config: Pick<GatewayConfig, "defaultClientId" | "allowedClientIds" | "gatewaySecret">
    & Partial<Pick<GatewayConfig, "trustedTokenIssuers">>
    & { operationLimits?: Pick<OperationLimits, "maxExchanges"> };
  /** The process-wide pipeline (cache, grace window, single-flight, upstream) behind this request's loader. */
  exchanger: TokenExchanger;
  logger: Logger;
  /** Who sent this operation: its exchanges' upstream calls spend this caller's budget. */
  caller?: RequestCaller | undefined;
  /** The process-wide pre-check (its memo outlives the request); absent: one for this request. */
  precheck?: GrantPrecheck | undefined;
  /** The process-wide request keyer (its memo outlives the request); absent: one for this request. */
  keyOf?: RequestKeyer | undefined;
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
 *
 * Before either, a grant that cannot be valid is refused (grant-precheck.ts), and one operation may
 * start at most MAX_EXCHANGES_PER_OPERATION distinct exchanges (cached or not, so the answer does
 * not depend on the cache): aliases of one exchange count once, the ones over the cap are refused
 * with BAD_USER_INPUT and never reach the loader.
 */
export function createRequestTokenService(deps: RequestTokenServiceDeps): RequestTokenService {
  const { config, exchanger, logger, caller } = deps;
  const precheck = deps.precheck ?? createGrantPrecheck(config);
  const keyOf = deps.keyOf ?? createRequestKeyer(config, config.gatewaySecret);
  const maxExchanges = config.operationLimits?.maxExchanges ?? DEFAULT_MAX_EXCHANGES_PER_OPERATION;
  /** The fingerprints of the distinct exchanges this operation has started (created on the first). */
  let started: Set<string> | undefined;
  // Created on the first exchange: most operations a gateway answers (health probes, { gateway }, introspection) make none.
  let loader: DataLoader<KeyedRequest, IssuedToken, string> | undefined;
  const createLoader = () =>
    new DataLoader<KeyedRequest, IssuedToken, string>(
      async (batch) => {
        logger.debug({ exchanges: batch.length }, "CreateTokenWithIAM batch");
        // dataloader's contract: one result per key, in order; a failure is an Error value, not a throw.
        return Promise.all(batch.map(({ request, fingerprint }) => exchanger.exchange(request, fingerprint, caller).catch(asGatewayError)));
      },
      { cacheKeyFn: (keyed) => keyed.fingerprint, maxBatchSize: MAX_BATCH_SIZE },
    );

  /** The answers of the single-use grants (authorization codes, refresh tokens) this operation exchanged, by fingerprint (keepUndelivered). */
  let singleUseAnswers: Map<string, { grant: SingleUseGrant; token: IssuedToken }> | undefined;
  /**
   * Answers delivered as a session (delivered): never kept, whichever field of the operation received them too. Only
   * removed from singleUseAnswers, a sibling `refreshToken` with the sign-in's refresh token (one exchange per operation,
   * the same answer) recorded it again after the sign-in, and a failing third field kept it: one spent refresh token
   * signed in again and again, after a sign-out everywhere too (a review).
   */
  let deliveredAnswers: Set<IssuedToken> | undefined;
  const createToken = (request: TokenRequest): MaybePromise<IssuedToken> => {
    let keyed: KeyedRequest;
    try {
      keyed = keyOf(request);
      precheck.check(keyed.request, keyed.fingerprint);
      countExchange(keyed.fingerprint);
    } catch (error) {
      // Invalid input rejects, as every other failure does: callers see one way to fail.
      return Promise.reject(error);
    }
    const cached = exchanger.cachedAnswer(keyed.request, keyed.fingerprint);
    if (cached !== undefined) return cached;
    const answer = (loader ??= createLoader()).load(keyed);
    const grant = keyed.request.grantType;
    if (grant !== "AUTHORIZATION_CODE" && grant !== "REFRESH_TOKEN") return answer;
    const { fingerprint } = keyed;
    return answer.then((token) => {
      (singleUseAnswers ??= new Map()).set(fingerprint, { grant, token });
      return token;
    });
  };

  function countExchange(fingerprint: string): void {
    started ??= new Set();
    if (started.has(fingerprint)) return;
    if (started.size >= maxExchanges) {
      throw new GatewayError(
        "BAD_USER_INPUT",
        `This operation starts more than ${maxExchanges} distinct token exchanges (MAX_EXCHANGES_PER_OPERATION=${maxExchanges}); send the others in another request.`,
      );
    }
    started.add(fingerprint);
  }

  return {
    createToken,
    async keepUndelivered() {
      if (singleUseAnswers === undefined) return;
      const undelivered = [...singleUseAnswers].filter(([, { token }]) => deliveredAnswers?.has(token) !== true);
      await Promise.all(undelivered.map(([fingerprint, { grant, token }]) => exchanger.keepUndelivered(fingerprint, token, grant)));
      singleUseAnswers = undefined;
    },
    delivered(token) {
      (deliveredAnswers ??= new Set()).add(token);
    },
    undelivered(token) {
      deliveredAnswers?.delete(token);
    },
    refresh: (request) => createToken({ clientId: request.clientId ?? null, grantType: "REFRESH_TOKEN", refreshToken: request.refreshToken, scope: request.scope ?? null }),
  };
}

import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import type { RateLimit } from "../ratelimit/rate-limit.types.js";
import { createKeyspace } from "../store/keyspace.js";
import type { Store, StoreHealth } from "../store/store.types.js";
import type { Upstream } from "../upstream/index.js";
import { createGrantPrecheck } from "./grant-precheck.js";
import { createRequestKeyer } from "./request-keyer.js";
import { createRequestTokenService } from "./request-token-service.js";
import type { TokenMetrics } from "./exchange-settings.js";
import { createTokenExchanger, type TokenExchanger } from "./token-exchanger.js";
import type { ApplicationRateLimit } from "./upstream-call.js";
import type { RequestCaller, RequestTokenService } from "./token.types.js";

export interface TokenServiceDeps {
  config: GatewayConfig;
  upstream: Upstream;
  logger: Logger;
  /** Shared state (locks, results, cache, grace successors): `createGatewayStore({ redisUrl: config.redisUrl, logger })`. Closed by its creator, not here. */
  store: Store;
  /** Prometheus counters to record cache lookups, single-flight roles and upstream calls into. */
  metrics?: TokenMetrics | undefined;
  /** Consulted right before every real upstream call (never for cache hits, grace or joined flights); its RATE_LIMITED error propagates. */
  applicationRateLimit?: ApplicationRateLimit | undefined;
  /**
   * The per-caller upstream budget (createRateLimits().callerUpstream), consumed with the caller's
   * address right before every real upstream call (never for cache hits, grace or joined flights).
   */
  callerUpstreamRateLimit?: Pick<RateLimit, "consume" | "refusedNow"> | undefined;
}

export interface TokenServiceHealth {
  /** The store's own report: `up`, or `degraded` (Redis unreachable, serving from process memory: not shared with replicas). */
  store: StoreHealth;
}

/** Process-wide token service; `forRequest()` gives each GraphQL operation its own loader. */
export interface TokenService {
  /** `caller`: who sent the operation, whose upstream budget its exchanges spend (absent: no per-caller budget). */
  forRequest(caller?: RequestCaller): RequestTokenService;
  /** Never rejects: for the readiness endpoint. */
  health(): Promise<TokenServiceHealth>;
  /** The identity contexts this gateway issued: what identity-enhanced credentials may be made from (the credentials service's `identityContexts`). */
  readonly identityContexts: TokenExchanger["identityContexts"];
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { config, upstream, logger, store, metrics, applicationRateLimit, callerUpstreamRateLimit } = getValidTokenServiceDeps(deps);
  // A memory store never leaves the process: its values need no sealing (keyspace.ts).
  const keyspace = createKeyspace({ secret: config.gatewaySecret, sealing: store.kind !== "memory" });
  const exchanger = createTokenExchanger({ config, upstream, logger, store, keyspace, metrics, applicationRateLimit, callerUpstreamRateLimit });
  const precheck = createGrantPrecheck(config);
  const keyOf = createRequestKeyer(config, config.gatewaySecret);
  return {
    forRequest: (caller) => createRequestTokenService({ config, exchanger, logger, caller, precheck, keyOf }),
    health: async () => ({ store: await store.health() }),
    identityContexts: exchanger.identityContexts,
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
  if (typeof deps.store?.setIfAbsent !== "function") throw new TypeError("createTokenService: store must be a Store (use createGatewayStore({ redisUrl: config.redisUrl, logger }))");
  if (deps.applicationRateLimit !== undefined && typeof deps.applicationRateLimit.consume !== "function") {
    throw new TypeError("createTokenService: applicationRateLimit must have consume(clientId): Promise<void>");
  }
  if (deps.callerUpstreamRateLimit !== undefined && typeof deps.callerUpstreamRateLimit.consume !== "function") {
    throw new TypeError("createTokenService: callerUpstreamRateLimit must have consume(address): Promise<void> (createRateLimits().callerUpstream)");
  }
  return deps;
}

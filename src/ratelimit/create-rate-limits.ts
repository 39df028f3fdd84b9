import { performance } from "node:perf_hooks";
import { BurstyRateLimiter, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { PersistedQueryLimits, RateLimitConfig } from "../config/config.types.js";
import { GatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { BoundedLru } from "../store/bounded-lru.js";
import { memoryBackend, redisBackend, type LimiterBackend } from "./rate-limiter-backend.js";
import type { CallerNetworkTier, RateLimit, RateLimits } from "./rate-limit.types.js";

export interface CreateRateLimitsOptions {
  config: { rateLimits: RateLimitConfig; persistedQueries?: PersistedQueryLimits };
  /** Unset: counters in this process. Set: counters in Redis, shared by every replica. */
  redisUrl: string | undefined;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** Prefix of every counter key (tests give each run its own). */
  keyPrefix?: string;
  /**
   * IPv6 networks' share of the per-caller limits (server/caller-networks.ts): a caller key `networkOf`
   * names is also counted under its network, which gets `callers` times a caller's points. Unset: none.
   */
  callerNetworks?: CallerNetworkTier | undefined;
}

/** A per-caller limit's two tiers: the caller's own points (scale 1), and its network's (scale `callers`, `tier` "network"). */
type TierFactory = (scale: number, tier: "caller" | "network") => RateLimit;

/** A caller's burst allowance refills over this window, on top of the per-second rate. */
const BURST_WINDOW_SECONDS = 10;

/**
 * The gateway's rate limits (rate-limiter-flexible), sized to AWS's quotas by default:
 * - per application (clientId): RATE_LIMIT_APP_PER_SECOND exchanges/s (AWS allows 80
 *   CreateTokenWithIAM/s per application, so refusing here is cheaper than an AWS throttle);
 * - per caller (client IP): RATE_LIMIT_CALLER_PER_SECOND requests/s plus RATE_LIMIT_CALLER_BURST;
 * - per caller (client IP) upstream calls: RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND plus
 *   RATE_LIMIT_CALLER_UPSTREAM_BURST, so one address cannot spend the application's quota that
 *   every caller shares (cache hits, grace answers and joined exchanges do not count);
 * - gateway-wide STS AssumeRole calls: RATE_LIMIT_STS_PER_SECOND (the credentials service spends
 *   it under one key). STS's request quota (AWS's "IAM and AWS STS quotas" page, section "STS
 *   request quotas": 600 requests/s per account and Region by default) is shared by AssumeRole,
 *   GetCallerIdentity, GetSessionToken… of everything on the account's credentials; the default of
 *   100/s keeps the gateway to a sixth of it, so callers each inside their own upstream budget
 *   cannot together throttle the rest of the account;
 * - per caller (client IP) persisted queries added to the table: APQ_MAX_ENTRIES_PER_CALLER per
 *   APQ_TTL_SECONDS (a fixed window: a caller holds at most twice that at a window's edge).
 * Each per-caller limit also bounds an IPv6 caller's network (callerNetworks: IPV6_NETWORK_CALLERS
 * times the caller's points under the network's key, server/caller-networks.ts).
 * A limit set to 0 is off. Keys in the store are the IP or clientId, never a token.
 */
export function createRateLimits(options: CreateRateLimitsOptions): RateLimits {
  const { config, redisUrl, logger, metrics } = getValidOptions(options);
  const keyPrefix = options.keyPrefix ?? "idcgw:rl";
  const backend: LimiterBackend = redisUrl === undefined ? memoryBackend() : redisBackend({ redisUrl, logger });
  const { applicationPerSecond, callerPerSecond, callerBurst } = config.rateLimits;
  const callerUpstreamPerSecond = config.rateLimits.callerUpstreamPerSecond ?? 0;
  const callerUpstreamBurst = config.rateLimits.callerUpstreamBurst ?? 0;
  const stsPerSecond = config.rateLimits.stsPerSecond ?? 0;

  const application =
    applicationPerSecond === 0
      ? undefined
      : rateLimit(backend.limiter({ keyPrefix: `${keyPrefix}:app`, points: applicationPerSecond, durationSeconds: 1 }), {
          reason: "rate_limited_application",
          message: (seconds) => `Too many token exchanges for this application (over RATE_LIMIT_APP_PER_SECOND=${applicationPerSecond}); retry after ${seconds} s.`,
          metrics,
        });

  /** A per-second rate (keys.rate) and, over it, a burst allowance (keys.burst) refilled every BURST_WINDOW_SECONDS. */
  const burstyLimiter = (keys: { rate: string; burst: string }, perSecond: number, burst: number) => {
    const rate = backend.limiter({ keyPrefix: `${keyPrefix}:${keys.rate}`, points: perSecond, durationSeconds: 1 });
    if (burst === 0) return rate;
    return new BurstyRateLimiter(rate, backend.limiter({ keyPrefix: `${keyPrefix}:${keys.burst}`, points: burst, durationSeconds: BURST_WINDOW_SECONDS }));
  };
  const networks = options.callerNetworks;
  /** A per-caller limit, and over it its network's when the network tier is on. */
  const perCaller = (make: TierFactory): RateLimit =>
    networks === undefined ? make(1, "caller") : withNetworkTier(make(1, "caller"), make(networks.callers, "network"), networks.networkOf);
  /** Who a refusal names: the caller, or its network with how its allowance is reckoned. */
  const over = (tier: "caller" | "network", setting: string) =>
    tier === "caller" ? `this caller (over ${setting})` : `this caller's IPv6 network (over IPV6_NETWORK_CALLERS=${networks?.callers} × ${setting})`;
  const tierKey = (name: string, tier: "caller" | "network") => (tier === "caller" ? name : `${name}-net`);
  const tierReason = (reason: string, tier: "caller" | "network") => (tier === "caller" ? reason : `${reason}_network`);

  const caller =
    callerPerSecond === 0
      ? undefined
      : perCaller((scale, tier) =>
          rateLimit(burstyLimiter({ rate: tierKey("caller", tier), burst: tierKey("burst", tier) }, scale * callerPerSecond, scale * callerBurst), {
            reason: tierReason("rate_limited_caller", tier),
            message: (seconds) => `Too many requests from ${over(tier, `RATE_LIMIT_CALLER_PER_SECOND=${callerPerSecond}`)}; retry after ${seconds} s.`,
            metrics,
          }));
  const callerUpstream =
    callerUpstreamPerSecond === 0
      ? undefined
      : perCaller((scale, tier) =>
          rateLimit(burstyLimiter({ rate: tierKey("upstream", tier), burst: tierKey("upstream-burst", tier) }, scale * callerUpstreamPerSecond, scale * callerUpstreamBurst), {
            reason: tierReason("rate_limited_caller_upstream", tier),
            message: (seconds) =>
              `Too many token exchanges sent to AWS from ${over(tier, `RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND=${callerUpstreamPerSecond}`)}; retry after ${seconds} s.`,
            metrics,
          }));

  const sts =
    stsPerSecond === 0
      ? undefined
      : rateLimit(backend.limiter({ keyPrefix: `${keyPrefix}:sts`, points: stsPerSecond, durationSeconds: 1 }), {
          reason: "rate_limited_sts",
          message: (seconds) => `Too many AWS credentials requests sent to STS by this gateway (over RATE_LIMIT_STS_PER_SECOND=${stsPerSecond}); retry after ${seconds} s.`,
          metrics,
        });

  // Not a request refusal (the document is executed, not stored): counted by the registrations metric, not as a rejection.
  const apq = config.persistedQueries;
  const persistedQueryCaller =
    apq === undefined || apq.maxEntries === 0 || !apq.maxEntriesPerCaller
      ? undefined
      : perCaller((scale, tier) =>
          rateLimit(backend.limiter({ keyPrefix: `${keyPrefix}:${tierKey("apq-caller", tier)}`, points: scale * (apq.maxEntriesPerCaller ?? 0), durationSeconds: apq.ttlSeconds }), {
            reason: tierReason("persisted_query_caller", tier),
            message: (seconds) =>
              `${tier === "caller" ? "This caller" : `This caller's IPv6 network (IPV6_NETWORK_CALLERS=${networks?.callers} callers' worth)`} added APQ_MAX_ENTRIES_PER_CALLER=${apq.maxEntriesPerCaller} persisted queries in APQ_TTL_SECONDS; more in ${seconds} s.`,
            metrics: undefined,
          }));

  logger.debug({ backend: backend.kind, applicationPerSecond, callerPerSecond, callerBurst, callerUpstreamPerSecond, callerUpstreamBurst, stsPerSecond }, "rate limits configured");
  return { caller, application, callerUpstream, sts, persistedQueryCaller, backend: backend.kind, close: () => backend.close() };
}

/** Refused keys remembered at once (one small entry each; the least recently refused leave first). */
const REFUSALS_REMEMBERED = 10_000;

function rateLimit(
  limiter: Pick<RateLimiterAbstract, "consume">,
  refusal: { reason: string; message: (retryAfterSeconds: number) => string; metrics: GatewayMetrics | undefined },
): RateLimit {
  // Keys refused moments ago, until their window ends (monotonic ms): refusedNow answers from here.
  const refusedUntil = new BoundedLru<number>({ maxEntries: REFUSALS_REMEMBERED, maxSize: REFUSALS_REMEMBERED, sizeOf: () => 1 });
  const refuse = (msBeforeNext: number): GatewayError => {
    const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    refusal.metrics?.rejections.inc({ reason: refusal.reason });
    return new GatewayError("RATE_LIMITED", refusal.message(retryAfterSeconds), { retryAfterSeconds });
  };
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        // A store error cannot reach here (the insurance limiter answers); anything but a refusal is a bug.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        if (rejection.msBeforeNext > 0) refusedUntil.set(key, performance.now() + rejection.msBeforeNext, { ttlMs: rejection.msBeforeNext });
        throw refuse(rejection.msBeforeNext);
      }
    },

    refusedNow(key) {
      const until = refusedUntil.get(key);
      return until === undefined ? undefined : refuse(until - performance.now());
    },
  };
}

/**
 * A caller's own limit, then its network's (when its key lies in an IPv6 network): both must let a
 * request through. The network's refusal is looked at first without I/O, so a network past its
 * allowance spends none of its callers' own points; the caller's own is consumed before the
 * network's, so a caller past its own limit spends none of its neighbours' shared allowance. A
 * request the network then refuses has spent its caller's point (the limiter cannot give one back).
 */
function withNetworkTier(callerLimit: RateLimit, networkLimit: RateLimit, networkOf: (key: string) => string | undefined): RateLimit {
  return {
    async consume(key) {
      const network = networkOf(key);
      if (network === undefined) return callerLimit.consume(key);
      const refused = networkLimit.refusedNow?.(network);
      if (refused !== undefined) throw refused;
      await callerLimit.consume(key);
      await networkLimit.consume(network);
    },
    refusedNow(key) {
      const own = callerLimit.refusedNow?.(key);
      if (own !== undefined) return own;
      const network = networkOf(key);
      return network === undefined ? undefined : networkLimit.refusedNow?.(network);
    },
  };
}

function getValidOptions(options: CreateRateLimitsOptions): CreateRateLimitsOptions {
  const limits = options?.config?.rateLimits;
  for (const key of ["applicationPerSecond", "callerPerSecond", "callerBurst"] as const) {
    const value = limits?.[key];
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new TypeError(`createRateLimits: config.rateLimits.${key} must be an integer >= 0 (0 = off) (got ${String(value)})`);
    }
  }
  for (const key of ["callerUpstreamPerSecond", "callerUpstreamBurst", "stsPerSecond"] as const) {
    const value = limits?.[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new TypeError(`createRateLimits: config.rateLimits.${key} must be an integer >= 0 (0 = off) or undefined (off) (got ${String(value)})`);
    }
  }
  if (options.redisUrl !== undefined && typeof options.redisUrl !== "string") {
    throw new TypeError(`createRateLimits: redisUrl must be a redis:// URL or undefined (got ${typeof options.redisUrl})`);
  }
  if (options.logger === undefined) throw new TypeError("createRateLimits: logger is required");
  return options;
}

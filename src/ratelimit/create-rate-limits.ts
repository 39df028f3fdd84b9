import { performance } from "node:perf_hooks";
import { BurstyRateLimiter, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { PersistedQueryLimits, RateLimitConfig } from "../config/config.types.js";
import { GatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { BoundedLru } from "../store/bounded-lru.js";
import { memoryBackend, redisBackend, type LimiterBackend } from "./rate-limiter-backend.js";
import type { RateLimit, RateLimits } from "./rate-limit.types.js";

export interface CreateRateLimitsOptions {
  config: { rateLimits: RateLimitConfig; persistedQueries?: PersistedQueryLimits };
  /** Unset: counters in this process. Set: counters in Redis, shared by every replica. */
  redisUrl: string | undefined;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** Prefix of every counter key (tests give each run its own). */
  keyPrefix?: string;
}

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
  const caller =
    callerPerSecond === 0
      ? undefined
      : rateLimit(burstyLimiter({ rate: "caller", burst: "burst" }, callerPerSecond, callerBurst), {
          reason: "rate_limited_caller",
          message: (seconds) => `Too many requests from this caller (over RATE_LIMIT_CALLER_PER_SECOND=${callerPerSecond}); retry after ${seconds} s.`,
          metrics,
        });
  const callerUpstream =
    callerUpstreamPerSecond === 0
      ? undefined
      : rateLimit(burstyLimiter({ rate: "upstream", burst: "upstream-burst" }, callerUpstreamPerSecond, callerUpstreamBurst), {
          reason: "rate_limited_caller_upstream",
          message: (seconds) =>
            `Too many token exchanges sent to AWS from this caller (over RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND=${callerUpstreamPerSecond}); retry after ${seconds} s.`,
          metrics,
        });

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
      : rateLimit(backend.limiter({ keyPrefix: `${keyPrefix}:apq-caller`, points: apq.maxEntriesPerCaller, durationSeconds: apq.ttlSeconds }), {
          reason: "persisted_query_caller",
          message: (seconds) => `This caller added APQ_MAX_ENTRIES_PER_CALLER=${apq.maxEntriesPerCaller} persisted queries in APQ_TTL_SECONDS; more in ${seconds} s.`,
          metrics: undefined,
        });

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

import { GatewayError, isGatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { RateLimit } from "../ratelimit/rate-limit.types.js";
import type { Keyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";
import type { Upstream } from "../upstream/index.js";
import { assertionExpiresAt } from "./assertion-expiry.js";
import { createLocalSingleFlight } from "../coordination/local-single-flight.js";
import { createSingleFlight, type FlightSteps } from "../coordination/single-flight.js";
import { DEFAULT_COORDINATION, DEFAULT_DEADLINE_MS, FLIGHT_HAND_OFF, singleFlightLockTtlMs, singleUseLockTtlMs, type ExchangeConfig, type TokenMetrics } from "./exchange-settings.js";
import type { ValidTokenRequest } from "./grant-validation.js";
import { issuedTokenCodec } from "./issued-token-codec.js";
import { createIdentityContextRegistry, type IdentityContextRegistry } from "./identity-context-registry.js";
import { createRefreshFamilies, familyStores } from "./refresh-family.js";
import { createRefreshExchange } from "./refresh-exchange.js";
import { createRefreshGrace } from "./refresh-grace.js";
import { createResponseCache, type CacheLookup } from "./response-cache.js";
import { createReuseGuard } from "./reuse-guard.js";
import { createLateCodeAnswers, createSingleUseDeadline } from "./single-use-deadline.js";
import { createStoreFailureLog } from "../coordination/store-failure-log.js";
import type { IssuedToken, RequestCaller } from "./token.types.js";
import { createUpstreamCall, type ApplicationRateLimit } from "./upstream-call.js";

export interface TokenExchangerDeps {
  config: ExchangeConfig;
  upstream: Upstream;
  logger: Logger;
  store: Store;
  keyspace: Keyspace;
  metrics?: TokenMetrics | undefined;
  applicationRateLimit?: ApplicationRateLimit | undefined;
  /** Consulted (with the caller's address) right before every real upstream call, before the application's limit. */
  callerUpstreamRateLimit?: Pick<RateLimit, "consume" | "refusedNow"> | undefined;
}

/** The process-wide exchange pipeline; each call takes a validated exchange and its fingerprint (computed once per request). */
export interface TokenExchanger {
  /** AWS's answer, through cache, grace window and single-flight. */
  exchange(request: ValidTokenRequest, fingerprint: string, caller?: RequestCaller): Promise<IssuedToken>;
  /**
   * The process-local response cache's answer for this exchange, synchronously, or undefined (then
   * `exchange` decides). Counted and logged as a cache hit. The common request of a busy gateway,
   * answered with no batching tick, promise or I/O. Only replayable grants' answers are ever cached,
   * under their fingerprint, which covers the grant type: a refresh token or an authorization code
   * (single-use) can never find one.
   */
  cachedAnswer(request: ValidTokenRequest, fingerprint: string): IssuedToken | undefined;
  /** The identity contexts this gateway issued, for identity-enhanced credentials (identity-context-registry.ts). */
  readonly identityContexts: Pick<IdentityContextRegistry, "verify" | "forget" | "forgetUser">;
  /**
   * A single-use grant's answer whose operation failed in part (a sibling field's error, a session
   * that could not be stored): kept as a late answer, for the retry with the same code and verifier,
   * or refresh token (LATE_CODE_ANSWER_TTL_MS; taken once; a refresh's retry within the grace window
   * gets the grace successor and drops it). Never rejects.
   */
  keepUndelivered(fingerprint: string, token: IssuedToken, grant: "AUTHORIZATION_CODE" | "REFRESH_TOKEN"): Promise<void>;
}

/**
 * The process-wide exchange pipeline, shared by every request:
 * - JWT bearer and token exchange: the response cache (never past the assertion's exp), then
 *   single-flight; a fresh answer is cached.
 * - Refresh: reuse detection, the grace window, then single-flight (refresh-exchange.ts).
 * - Authorization code: single-flight only, its result never reused after the flight (except a
 *   late answer, kept for the caller's retry).
 * Single-use grants answer their caller by UPSTREAM_DEADLINE_MS while the call goes on.
 * Every real upstream call passes the caller's upstream budget and the application rate limit first, and is measured.
 */
export function createTokenExchanger(deps: TokenExchangerDeps): TokenExchanger {
  const { config, upstream, logger, store, keyspace, metrics, applicationRateLimit, callerUpstreamRateLimit } = deps;
  const settings = config.coordination ?? DEFAULT_COORDINATION;
  const graceMs = settings.refreshGraceSeconds * 1000;
  const deadlineMs = config.upstreamDeadlineMs ?? DEFAULT_DEADLINE_MS;
  const lockTtlMs = singleFlightLockTtlMs(config);
  const waitTimeoutMs = settings.singleFlightWaitMs ?? 2 * lockTtlMs;
  // One process (memory store): the in-process flight map is the whole coordination; the store's
  // lock, sealed hand-off and publish exist for replicas on Redis (kept while Redis is down: the
  // resilient store recovers to it). Single-use grants hold their lock until their call settles.
  const [flights, singleUseFlights] = store.kind === "memory"
    ? [createLocalSingleFlight(), createLocalSingleFlight()]
    : [
      createSingleFlight({ store, keyspace, lockTtlMs, waitTimeoutMs, logger, ...FLIGHT_HAND_OFF }),
      createSingleFlight({ store, keyspace, lockTtlMs: singleUseLockTtlMs({ ...config, upstreamDeadlineMs: deadlineMs }), waitTimeoutMs, logger, ...FLIGHT_HAND_OFF }),
    ];
  const cache = createResponseCache({
    store, keyspace, logger,
    minTtlMs: settings.cacheMinTtlSeconds * 1000,
    maxEntries: settings.cacheMaxEntries,
    maxBytes: settings.cacheMaxBytes,
  });
  const grace = createRefreshGrace({ store, keyspace, graceMs, logger });
  const families = createRefreshFamilies({
    ...familyStores(store), keyspace, logger,
    enabled: settings.refreshReuseDetection ?? true,
    ttlMs: (settings.refreshFamilyTtlSeconds ?? 2_592_000) * 1000,
  });
  const lateCodes = createLateCodeAnswers({ store, keyspace, logger });
  // Records only while identity-enhanced credentials are on: otherwise nothing would ever read them (and each would cost a store write).
  const identityContexts = createIdentityContextRegistry({ store, keyspace, families, logger, enabled: (config.credentials?.allowedRoleArns.length ?? 0) > 0 });
  /** The family a fresh answer's refresh token starts (undefined without one). */
  const familyOfAnswer = (token: IssuedToken): string | undefined => (token.refreshToken === undefined ? undefined : families.familyOf(token.clientId, token.refreshToken));
  const storeFailures = createStoreFailureLog(logger, metrics?.storeFailures);
  const reuse = createReuseGuard({ families, logger, storeFailures, counter: metrics?.refreshReuse });
  const singleUse = createSingleUseDeadline({ deadlineMs, logger, counter: metrics?.singleUseLate });

  const upstreamCall = createUpstreamCall({ upstream, metrics, applicationRateLimit, callerUpstreamRateLimit });
  const refuseIfPastUpstreamBudget = upstreamCall.refuseIfPastBudget;
  /** The one place a request leaves for AWS (upstream-call.ts). */
  const callUpstream = upstreamCall.call;

  /**
   * Single-flight around `call`. Nothing is lost to the store: when the call succeeded and a store
   * step after it failed, its answer is returned anyway; when coordination failed before the call
   * started, the call runs without it (logged at error once per cause, counted).
   */
  async function fly(request: ValidTokenRequest, fingerprint: string, call: () => Promise<IssuedToken>, via = flights, steps?: FlightSteps<IssuedToken>): Promise<IssuedToken> {
    let started = false;
    let answer: IssuedToken | undefined;
    const tracked = async (): Promise<IssuedToken> => {
      started = true;
      answer = await call();
      return answer;
    };
    try {
      const { value, role } = await via.run(fingerprint, tracked, issuedTokenCodec, steps);
      metrics?.singleFlight.inc({ role });
      if (role === "follower") logger.debug({ grant: request.grantType }, "single-flight: joined an identical exchange");
      return value;
    } catch (error) {
      if (isGatewayError(error)) throw error;
      if (answer !== undefined) {
        storeFailures.report("single-flight after the upstream answered", error);
        return answer;
      }
      if (started) throw error;
      storeFailures.report("single-flight before the upstream call", error);
      // A single-use grant never goes upstream without its lock: another caller's call with the
      // same grant may still be running, and AWS would consume the grant twice.
      if (via === singleUseFlights) throw new GatewayError("UPSTREAM_UNAVAILABLE");
      return call();
    }
  }

  function countLookup(request: ValidTokenRequest, result: CacheLookup["result"]): void {
    metrics?.cacheLookups.inc({ result });
    logger.debug({ grant: request.grantType, cache: result }, "response cache lookup");
  }

  async function replayable(request: ValidTokenRequest, fingerprint: string, caller: RequestCaller | undefined): Promise<IssuedToken> {
    // A JWT-bearer answer is served no longer than its assertion holds; one with no readable exp is not cached.
    const notAfter = request.grantType === "JWT_BEARER" ? assertionExpiresAt(request.assertion) : undefined;
    // A TOKEN_EXCHANGE of an access token this gateway issued in a refresh family: refused once the
    // family was revoked (checked before the cache: cachedAnswer leaves token exchanges to this path),
    // and what it issues stays in the family. An attacker review exchanged a revoked family's access
    // token into a new, unrevoked refresh token.
    const subject = request.grantType === "TOKEN_EXCHANGE" && request.subjectToken !== undefined ? await families.familyOfAccessToken(request.subjectToken) : undefined;
    if (subject?.revoked === true) {
      throw new GatewayError("INVALID_GRANT", "subjectToken belongs to tokens that were revoked (refresh-token reuse); sign in again.", { field: "input.subjectToken" });
    }
    const cacheable = request.grantType !== "JWT_BEARER" || notAfter !== undefined;
    if (cacheable) {
      const lookup = await cache.lookup(fingerprint, notAfter);
      countLookup(request, lookup.result);
      if (lookup.result === "hit") return lookup.token;
    }
    refuseIfPastUpstreamBudget(request, caller);
    const familyOfIssued = (token: IssuedToken) => subject?.family ?? familyOfAnswer(token);
    /**
     * What a fresh answer records beside the cache, sent with its writes. A sign-in's answer (JWT bearer, or a token
     * exchange of a subject in no family) starts a family when it has a refresh token: its access token joins it, so a
     * TOKEN_EXCHANGE of it is refused once the family is revoked (unlinked, it exchanged into a new refresh token
     * outside the family, which revocation missed): one more command, no more round trips. And its identity context,
     * for credentials, under the same family (derived once: a keyed HMAC).
     */
    const recordFamily = (token: IssuedToken): Promise<unknown> => {
      const linked = subject === undefined && families.enabled ? familyOfAnswer(token) : undefined;
      return Promise.all([
        linked === undefined ? undefined : families.link(token, linked),
        identityContexts.remember(token, () => linked ?? familyOfIssued(token)),
      ]);
    };
    const call = async () => {
      const token = await callUpstream(request, caller);
      if (subject !== undefined) await families.link(token, subject.family, { refreshTokenToo: true });
      return token;
    };
    if (!cacheable) {
      return fly(request, fingerprint, async () => {
        const token = await call();
        await recordFamily(token);
        return token;
      });
    }
    return fly(request, fingerprint, call, flights, {
      // Another replica may have finished this exchange between our lookup and our lock.
      recheck: async () => {
        const recheck = await cache.lookup(fingerprint, notAfter);
        return recheck.result === "hit" ? recheck.token : undefined;
      },
      // Together (one round trip on a pipelined connection): the answer for later lookups, and what recordFamily records.
      keep: async (token) => {
        await Promise.all([cache.save(fingerprint, token, notAfter), recordFamily(token)]);
      },
    });
  }

  const refresh = createRefreshExchange({
    families, reuse, grace, lateCodes, singleUse, cache, identityContexts, metrics, logger, callUpstream, refuseIfPastUpstreamBudget,
    flySingleUse: (request, fingerprint, call) => fly(request, fingerprint, call, singleUseFlights),
  });

  async function authorizationCode(request: ValidTokenRequest, fingerprint: string, caller: RequestCaller | undefined): Promise<IssuedToken> {
    const kept = await lateCodes.find(fingerprint);
    if (kept) return kept;
    refuseIfPastUpstreamBudget(request, caller);
    let led = false;
    const token = await singleUse.run(request.grantType, (call) => fly(request, fingerprint, async () => {
      call.led = true;
      led = true;
      const late = await lateCodes.find(fingerprint);
      if (late) {
        // Taken from the store: this caller's now, whenever the deadline passes.
        call.answered = true;
        return late;
      }
      const token = await callUpstream(request, caller);
      // The code is spent: from here its caller waits for the answer (or, late already, a retry collects it).
      call.answered = true;
      const family = familyOfAnswer(token);
      await Promise.all([identityContexts.remember(token, () => family), family === undefined ? undefined : families.link(token, family)]);
      if (call.late) {
        await lateCodes.keep(fingerprint, token);
        singleUse.kept(request.grantType);
      }
      return token;
    }, singleUseFlights));
    // A retry that joined the call received its answer: the abandoned request's copy, kept after it, is not handed out
    // again (a review signed in twice from one code), as a refresh's is not (refresh-exchange.ts).
    if (!led) await lateCodes.discard(fingerprint);
    return token;
  }

  return {
    async exchange(request, fingerprint, caller) {
      switch (request.grantType) {
        case "JWT_BEARER":
        case "TOKEN_EXCHANGE":
          return replayable(request, fingerprint, caller);
        case "REFRESH_TOKEN":
          return refresh(request, fingerprint, caller);
        case "AUTHORIZATION_CODE":
          return authorizationCode(request, fingerprint, caller);
      }
    },

    identityContexts,

    async keepUndelivered(fingerprint, token, grant) {
      await lateCodes.keepUndelivered(fingerprint, token);
      const what = grant === "AUTHORIZATION_CODE" ? "an authorization code's" : "a refresh's";
      logger.info({ grant, clientId: token.clientId }, `kept ${what} answer its operation did not deliver, for the caller's retry`);
    },

    cachedAnswer(request, fingerprint) {
      // A token exchange's subject may belong to a family revoked since its answer was cached: the store says (replayable).
      if (request.grantType === "TOKEN_EXCHANGE" && families.enabled) return undefined;
      const token = cache.peek(fingerprint);
      if (token !== undefined) countLookup(request, "hit");
      return token;
    },
  };
}

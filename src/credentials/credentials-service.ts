import DataLoader from "dataloader";
import { createLocalSingleFlight } from "../coordination/local-single-flight.js";
import { singleFlightLockTtlMs } from "../coordination/lock-ttl.js";
import { createStoreFailureLog } from "../coordination/store-failure-log.js";
import { createSingleFlight, type SingleFlight } from "../coordination/single-flight.js";
import type { GatewayConfig } from "../config/config.types.js";
import { GatewayError, isGatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { createKeyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";
import type { StsUpstream } from "../upstream/index.js";
import { namedAsWritten } from "./caller-field.js";
import { createCredentialsCache } from "./credentials-cache.js";
import { createCredentialsRefusals } from "./credentials-refusals.js";
import { credentialsCodec, fingerprintCredentialsRequest } from "./credentials-codec.js";
import { CREDENTIALS_OFF, validateCredentialsRequest, type ValidCredentialsRequest } from "./credentials-request.js";
import { refuseIfSessionTokensExpired } from "./session-tokens-expiry.js";
import type { IdentityContextVerifier, IssuedCredentials, RequestCredentialsService } from "./credentials.types.js";

/** The RoleSessionName when an application ARN has no recognisable id (never the case for a valid ARN). */
export const FALLBACK_ROLE_SESSION_NAME = "idc-token-gateway";

/**
 * The RoleSessionName of a session: CloudTrail shows it next to the Identity Center user the context
 * carries, so it names the application the tokens were issued for (`idcgw-apl-…`), never user data (a
 * user name in it would be a second, unverified identity).
 */
export function roleSessionNameFor(clientId: string): string {
  const applicationId = /\/(apl-[A-Za-z0-9]+)$/.exec(clientId)?.[1];
  return applicationId === undefined ? FALLBACK_ROLE_SESSION_NAME : `idcgw-${applicationId}`.slice(0, 64);
}
/** Distinct credential requests one operation may start, when the configuration states no MAX_EXCHANGES_PER_OPERATION. */
const DEFAULT_MAX_PER_OPERATION = 3;
/** A validated request with the application its identity context was issued for, and its keyed fingerprint. */
interface Keyed {
  request: ValidCredentialsRequest & { clientId: string };
  fingerprint: string;
}

/** The gateway-wide STS limit's one key: STS's quota is the account's, whichever role or caller. */
const STS_RATE_LIMIT_KEY = "assume-role";

/** A flight's result is handed only to the callers that joined it; later ones read the cache. */
const FLIGHT_HAND_OFF = { reuseFinishedResults: false, resultTtlMs: 2_000 } as const;

export type CredentialsMetrics = Pick<GatewayMetrics, "stsCalls" | "credentialsLookups"> & Partial<Pick<GatewayMetrics, "storeFailures">>;

export interface CredentialsServiceDeps {
  config: Pick<GatewayConfig, "gatewaySecret" | "upstreamTimeoutMs" | "upstreamConnectTimeoutMs" | "upstreamMaxAttempts" | "credentials" | "operationLimits" | "coordination">;
  sts: StsUpstream;
  /** The identity contexts the gateway issued (the token service's `identityContexts`): the mutation accepts only those. */
  identityContexts: IdentityContextVerifier;
  store: Store;
  logger: Logger;
  metrics?: CredentialsMetrics | undefined;
  /** The per-caller upstream budget (createRateLimits().callerUpstream): every STS call spends it, like a CreateTokenWithIAM. */
  callerUpstreamRateLimit?: { consume(address: string): Promise<void> } | undefined;
  /** The gateway-wide STS budget (createRateLimits().sts): every AssumeRole spends it, after the caller's own. */
  stsRateLimit?: { consume(key: string): Promise<void>; refusedNow?(key: string): Error | undefined } | undefined;
}

export interface CredentialsService {
  /** The service for one GraphQL operation; `caller` is whose upstream budget its STS calls spend. */
  forRequest(caller?: { address: string }): RequestCredentialsService;
}

/**
 * Identity-enhanced credentials, shared like the tokens: per (identity context, role, duration),
 * answered from the cache until the renewal margin (credentials-cache.ts), else by one STS
 * AssumeRole for all identical requests at once, in this process and, on Redis, in every replica
 * (single-flight with a sealed hand-off). Nothing is lost to the store: STS's answer reaches its
 * caller even when a store step after the call fails.
 */
export function createCredentialsService(deps: CredentialsServiceDeps): CredentialsService {
  const { config, sts, identityContexts, store, logger, metrics, callerUpstreamRateLimit, stsRateLimit } = getValidDeps(deps);
  const settings = config.credentials ?? CREDENTIALS_OFF;
  const keyspace = createKeyspace({ secret: config.gatewaySecret });
  const cache = createCredentialsCache({ store, keyspace, logger });
  const refusals = createCredentialsRefusals({ store, keyspace, logger });
  const lockTtlMs = singleFlightLockTtlMs(config);
  const flights: SingleFlight = store.kind === "memory"
    ? createLocalSingleFlight()
    : createSingleFlight({ store, keyspace, lockTtlMs, waitTimeoutMs: config.coordination?.singleFlightWaitMs ?? 2 * lockTtlMs, logger, ...FLIGHT_HAND_OFF });
  const maxPerOperation = config.operationLimits?.maxExchanges ?? DEFAULT_MAX_PER_OPERATION;
  const storeFailures = createStoreFailureLog(logger, metrics?.storeFailures);

  async function callSts(request: Keyed["request"], caller: { address: string } | undefined): Promise<IssuedCredentials> {
    // Refused moments ago in this process (its window still running): refused before the caller's own budget is spent.
    const stsRefused = stsRateLimit?.refusedNow?.(STS_RATE_LIMIT_KEY);
    if (stsRefused !== undefined) throw stsRefused;
    // The caller's own budget first: a caller over it must not spend the gateway's shared one.
    if (caller !== undefined) await callerUpstreamRateLimit?.consume(caller.address);
    await stsRateLimit?.consume(STS_RATE_LIMIT_KEY);
    try {
      const { identityContext, roleArn, durationSeconds } = request;
      const answer = await sts.assumeRoleWithIdentityContext({ identityContext, roleArn, durationSeconds, roleSessionName: roleSessionNameFor(request.clientId) });
      metrics?.stsCalls.inc({ outcome: "ok" });
      return { accessKeyId: answer.accessKeyId, secretAccessKey: answer.secretAccessKey, sessionToken: answer.sessionToken, expiration: answer.expiration, roleArn: request.roleArn, assumedRoleArn: answer.assumedRoleArn };
    } catch (error) {
      metrics?.stsCalls.inc({ outcome: isGatewayError(error) ? error.code : "INTERNAL_SERVER_ERROR" });
      throw error;
    }
  }

  async function assume({ request, fingerprint }: Keyed, caller: { address: string } | undefined): Promise<IssuedCredentials> {
    const cached = await cache.lookup(fingerprint, request.durationSeconds);
    if (cached !== undefined) {
      metrics?.credentialsLookups.inc({ result: "hit" });
      return cached;
    }
    // A refusal STS gave moments ago, to anyone: the same answer, with no STS call and no budget spent.
    const refused = await refusals.recall(fingerprint);
    if (refused !== undefined) {
      metrics?.credentialsLookups.inc({ result: "refused" });
      throw refused;
    }
    let answer: IssuedCredentials | undefined;
    let started = false;
    const call = async (): Promise<IssuedCredentials> => {
      started = true;
      // Another replica may have finished between our lookup and our lock.
      const recheck = await cache.lookup(fingerprint, request.durationSeconds);
      if (recheck !== undefined) return recheck;
      const refusedMeanwhile = await refusals.recall(fingerprint);
      if (refusedMeanwhile !== undefined) throw refusedMeanwhile;
      try {
        answer = await callSts(request, caller);
      } catch (error) {
        await refusals.remember(fingerprint, error);
        throw error;
      }
      await cache.save(fingerprint, answer, request.durationSeconds);
      return answer;
    };
    try {
      const { value, role } = await flights.run(fingerprint, call, credentialsCodec);
      metrics?.credentialsLookups.inc({ result: role === "leader" ? "miss" : "follower" });
      return value;
    } catch (error) {
      if (isGatewayError(error)) throw error;
      // The store failed: after STS answered, the answer still reaches its caller; before the call, it runs uncoordinated.
      if (answer !== undefined) {
        storeFailures.report("credentials: after STS answered", error);
        return answer;
      }
      if (started) throw error;
      storeFailures.report("credentials: before the STS call", error);
      return call();
    }
  }

  return {
    forRequest(caller) {
      const started = new Set<string>();
      let loader: DataLoader<Keyed, IssuedCredentials, string> | undefined;
      const createLoader = () =>
        new DataLoader<Keyed, IssuedCredentials, string>(
          // dataloader's contract: one result per key, in order; a failure is an Error value.
          (batch) => Promise.all(batch.map((keyed) => assume(keyed, caller).catch((error: unknown) => asError(error)))),
          { cacheKeyFn: (key) => key.fingerprint },
        );
      const load = (valid: ValidCredentialsRequest, clientId: string): Promise<IssuedCredentials> => {
        const request = { ...valid, clientId };
        const fingerprint = fingerprintCredentialsRequest(request, config.gatewaySecret);
        if (!started.has(fingerprint)) {
          if (started.size >= maxPerOperation) {
            return Promise.reject(new GatewayError("BAD_USER_INPUT", `This operation asks for more than ${maxPerOperation} distinct sets of AWS credentials (MAX_EXCHANGES_PER_OPERATION=${maxPerOperation}); send the others in another request.`));
          }
          started.add(fingerprint);
        }
        const local = cache.peek(fingerprint);
        if (local !== undefined) {
          metrics?.credentialsLookups.inc({ result: "hit" });
          return Promise.resolve(local);
        }
        return (loader ??= createLoader()).load({ request, fingerprint });
      };
      return {
        async forIssuedTokens(issue, options) {
          // A session's tokens were checked when it signed in or refreshed, not since: a reuse may have revoked their family
          // (an attacker review got credentials from the session holding the family's newest tokens after the revocation).
          if (issue.session !== undefined) {
            refuseIfSessionTokensExpired(issue.session, Date.now());
            await identityContexts.refuseIfRevoked?.(issue.session, "awsCredentials");
          }
          return load(validateCredentialsRequest({ identityContext: issue.identityContext, ...options }, settings, ""), issue.clientId).catch((error: unknown) => {
            throw namedAsWritten(error, "");
          });
        },
        async forIdentityContext(input) {
          const valid = validateCredentialsRequest(input, settings, "input.");
          // Before the cache: credentials made earlier are handed out only while their identity context still holds.
          const issue = await identityContexts.verify(valid.identityContext, "input.identityContext");
          return load(valid, issue.clientId).catch((error: unknown) => {
            throw namedAsWritten(error, "input.");
          });
        },
      };
    },
  };
}

function asError(error: unknown): Error {
  return isGatewayError(error) ? error : new GatewayError("INTERNAL_SERVER_ERROR", undefined, {}, { cause: error });
}

function getValidDeps(deps: CredentialsServiceDeps): CredentialsServiceDeps {
  if (!Buffer.isBuffer(deps.config?.gatewaySecret) || deps.config.gatewaySecret.length < 32) {
    throw new TypeError("createCredentialsService: config.gatewaySecret must be a Buffer of at least 32 bytes (use loadConfig)");
  }
  if (typeof deps.sts?.assumeRoleWithIdentityContext !== "function") throw new TypeError("createCredentialsService: sts must come from createStsUpstream()");
  if (typeof deps.identityContexts?.verify !== "function") throw new TypeError("createCredentialsService: identityContexts must be the token service's identityContexts");
  if (typeof deps.store?.setIfAbsent !== "function") throw new TypeError("createCredentialsService: store must be a Store (createGatewayStore)");
  if (typeof deps.logger?.error !== "function") throw new TypeError("createCredentialsService: logger must be a pino logger");
  return deps;
}

import { GatewayError, type ErrorCode } from "../errors/error-codes.js";
import type { Keyspace } from "../store/keyspace.js";
import { describeError } from "../store/store-options.js";
import type { Store, StoreLogger } from "../store/store.types.js";

/**
 * STS refusals no retry of the same request can change (map-upstream-error.ts, STS_EXCEPTION_CODES):
 * - ACCESS_DENIED: the role's trust policy refuses the gateway (or sts:SetContext);
 * - INVALID_REQUEST: STS refused the context assertion (the emulator's InvalidParameterValue for one
 *   it cannot read) or the duration (ValidationError: above the role's maximum);
 * - INVALID_REQUEST_REGION: STS is not activated in the gateway's Region.
 * Not remembered: what may pass on a retry (SLOW_DOWN, RATE_LIMITED, UPSTREAM_UNAVAILABLE,
 * UPSTREAM_SERVER_ERROR), GATEWAY_CREDENTIALS_INVALID (the gateway's own credentials refresh), and
 * EXPIRED_TOKEN: a refresh of the tokens keeps their identity context and gives it a new life, and a
 * review had the refreshed context refused for 30 s, the refresh answer's own awsCredentials included
 * (the gateway stops asking STS for a context once its tokens' life, as it recorded it, is over).
 */
const FINAL_REFUSALS: ReadonlySet<ErrorCode> = new Set(["ACCESS_DENIED", "INVALID_REQUEST", "INVALID_REQUEST_REGION"]);

/**
 * How long a final refusal is answered without STS. Long enough that a client retrying in a loop
 * (or many callers sharing one refused context) costs one AssumeRole per 30 s instead of one per
 * request; short enough that an operator's fix to a trust policy takes effect within half a minute.
 */
export const REFUSAL_MEMORY_MS = 30_000;

/** The store's purpose for remembered refusals (keyspace.key): the key is an HMAC of the fingerprint. */
const PURPOSE = "aws-credentials-refused";

/** Whether STS's `error` for one request will be its answer to the same request for a while. */
export function isFinalRefusal(error: unknown): error is GatewayError {
  return error instanceof GatewayError && FINAL_REFUSALS.has(error.code);
}

export interface CredentialsRefusals {
  /** The refusal remembered for `fingerprint`, or undefined; a store failure is undefined (STS is asked). */
  recall(fingerprint: string): Promise<GatewayError | undefined>;
  /** Remembers `error` when it is final; a store failure is logged, never thrown. */
  remember(fingerprint: string, error: unknown): Promise<void>;
}

/** What is stored: the code, the gateway's own message (never STS's: it names the account), AWS's exception name and the member STS refused. */
interface StoredRefusal {
  code: ErrorCode;
  message: string;
  awsException?: string;
  field?: string;
}

/**
 * Final STS refusals per credentials fingerprint, in the shared store (every replica answers from
 * them), sealed and under HMAC keys like the cached credentials: no identity context in a key or value.
 */
export function createCredentialsRefusals(options: { store: Store; keyspace: Keyspace; logger: StoreLogger; ttlMs?: number }): CredentialsRefusals {
  const { store, keyspace, logger } = options;
  const ttlMs = options.ttlMs ?? REFUSAL_MEMORY_MS;
  const keyOf = (fingerprint: string) => keyspace.key(PURPOSE, fingerprint);
  return {
    async recall(fingerprint) {
      const key = keyOf(fingerprint);
      try {
        const sealed = await store.get(key);
        return sealed === null ? undefined : toError(JSON.parse(keyspace.open(key, sealed).toString("utf8")) as StoredRefusal);
      } catch (error) {
        logger.warn({ reason: describeError(error) }, "credentials: could not read remembered STS refusals; asking STS");
        return undefined;
      }
    },

    async remember(fingerprint, error) {
      if (!isFinalRefusal(error)) return;
      const key = keyOf(fingerprint);
      const { awsException, field } = error.details;
      const stored: StoredRefusal = { code: error.code, message: error.message, ...(awsException === undefined ? {} : { awsException }), ...(field === undefined ? {} : { field }) };
      try {
        await store.set(key, keyspace.seal(key, Buffer.from(JSON.stringify(stored), "utf8")), ttlMs);
      } catch (failure) {
        logger.warn({ reason: describeError(failure) }, "credentials: could not remember an STS refusal");
      }
    },
  };
}

function toError(stored: StoredRefusal): GatewayError {
  if (!FINAL_REFUSALS.has(stored.code) || typeof stored.message !== "string") throw new TypeError("remembered STS refusal is malformed");
  return new GatewayError(stored.code, stored.message, {
    ...(typeof stored.awsException === "string" ? { awsException: stored.awsException } : {}),
    ...(typeof stored.field === "string" ? { field: stored.field } : {}),
  });
}

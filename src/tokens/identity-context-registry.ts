import { GatewayError } from "../errors/error-codes.js";
import type { Keyspace } from "../store/keyspace.js";
import { createMemoryStore } from "../store/memory-store.js";
import { describeError } from "../store/store-options.js";
import type { Store, StoreLogger } from "../store/store.types.js";
import { decodeIdTokenClaims } from "./id-token-claims.js";
import type { RefreshFamilies } from "./refresh-family.js";
import type { IssuedToken } from "./token.types.js";

/** What the gateway knows of an identity context it handed out. */
export interface IdentityContextIssue {
  /** The application its tokens were issued for. */
  clientId: string;
}

/**
 * The identity contexts this gateway issued (`awsAdditionalDetails.identityContext` of its
 * answers), so `assumeRoleWithIdentityContext` turns only those into credentials: an identity
 * context is STS's sealed assertion, which the gateway cannot read, and without this any caller
 * could bring one from another application (or a made-up string) and spend the gateway's STS
 * calls on it. Each record holds the application, the refresh family the tokens belong to (so a
 * family revoked for reuse takes its identity context with it) and lives until the tokens' access
 * token expires; a refresh records it again. Keys are HMACs of the context, values sealed.
 */
export interface IdentityContextRegistry {
  /**
   * Records `token`'s identity context (none: nothing to do). `familyOf`: the refresh family it belongs to, asked only
   * when a record is written (deriving it is an HMAC, wasted on the answers of a gateway without credentials). Never rejects.
   */
  remember(token: IssuedToken, familyOf: () => string | undefined): Promise<void>;
  /** The issue of `identityContext`, or a GatewayError: BAD_USER_INPUT (unknown or expired), INVALID_GRANT (its family was revoked). */
  verify(identityContext: string, field: string): Promise<IdentityContextIssue>;
  /**
   * No credentials from `identityContext` any more: its tokens' session was signed out (the context
   * is in the ID token a page may have been shown: SESSION_EXPOSE=idToken). A store failure is logged. Never rejects.
   */
  forget(identityContext: string): Promise<void>;
  /**
   * No credentials from any identity context recorded for the user (application and ID-token `sub`)
   * at or before `at`: the user signed out everywhere, and the sessions that ended with it (other
   * browsers', never visited again) each carried one. Rejects when the store fails (the sign-out must then fail, to be retried).
   */
  forgetUser(clientId: string, subject: string, at: number): Promise<void>;
  /** INVALID_GRANT (naming `field`) when `token` (a session's) belongs to a revoked refresh family; nothing to check: resolves. */
  refuseIfRevoked(token: IssuedToken, field: string): Promise<void>;
}

/**
 * How long a user's sign-out-everywhere mark is kept: longer than any identity context recorded
 * before it can live (its access token's life: an hour by default in Identity Center).
 */
export const USER_SIGN_OUT_MARK_MS = 12 * 60 * 60 * 1000;

/**
 * Records one process keeps without Redis, in heap bytes as the memory store counts them (~470 each:
 * ~26,000 records, one per user signed in with an identity context within an access token's life).
 * Counted in the gateway's heap budget (src/server/heap-tenants.ts).
 */
export const MEMORY_IDENTITY_CONTEXT_LIMITS = { maxEntries: 50_000, maxBytes: 12 * 1024 * 1024 } as const;

interface Record {
  /** clientId */
  c: string;
  /** refresh family, when the tokens carry a refresh token */
  f?: string;
  /** the ID token's `sub`, when there is one, and when the record was written: a later sign-out everywhere of that user ends it */
  s?: string;
  t?: number;
}

export function createIdentityContextRegistry(options: {
  store: Store;
  keyspace: Keyspace;
  families: RefreshFamilies;
  logger: StoreLogger;
  /** False while identity-enhanced credentials are off (no ALLOWED_ROLE_ARNS / DEFAULT_ROLE_ARN): nothing is recorded, nothing verifies. */
  enabled?: boolean;
  now?: () => number;
}): IdentityContextRegistry {
  const { keyspace, families, logger } = options;
  const enabled = options.enabled ?? true;
  const now = options.now ?? Date.now;
  // As refresh families: one process keeps records in a bounded store of their own, so the response cache's churn never evicts them.
  // A memory store grows with its entries: a gateway without identity-enhanced credentials pays nothing for it.
  const store: Store = options.store.kind === "memory" ? createMemoryStore(MEMORY_IDENTITY_CONTEXT_LIMITS) : options.store;
  const keyOf = (identityContext: string): string => keyspace.key("identity-context", identityContext);
  // Read through an outage where Redis refuses writes but still reads (maxmemory): contexts issued before it still
  // verify (a review had every earlier context refused as "not one this gateway issued"), and sign-out marks still hold.
  const read = (key: string): Promise<Buffer | null> => (store.getKeptThroughOutage ? store.getKeptThroughOutage(key) : store.get(key));
  const userKeyOf = (clientId: string, subject: string): string => keyspace.key("identity-user-out", clientId, subject);

  async function recordOf(key: string): Promise<Record | undefined> {
    const sealed = await read(key);
    return sealed === null ? undefined : (JSON.parse(keyspace.open(key, sealed).toString("utf8")) as Record);
  }

  async function signedOutAfter(record: Record): Promise<boolean> {
    if (record.s === undefined || record.t === undefined) return false;
    const mark = await read(userKeyOf(record.c, record.s));
    return mark !== null && Number(mark.toString("utf8")) >= record.t;
  }

  return {
    async remember(token, familyOf) {
      const identityContext = token.awsAdditionalDetails?.identityContext;
      if (!enabled || identityContext === undefined || token.expiresIn === undefined) return;
      const ttlMs = token.issuedAt + token.expiresIn * 1000 - now();
      if (ttlMs <= 0) return;
      const key = keyOf(identityContext);
      const family = familyOf();
      try {
        // A context recorded again (its tokens refreshed) keeps the user and time of its first record: a refresh
        // finishing after the user signed out everywhere must not make it newer than the mark (an attacker
        // review got credentials that way), and a refresh answer may leave the ID token out.
        const earlier = await recordOf(key).catch(() => undefined);
        const subject = decodeIdTokenClaims(token.idToken)?.subject ?? earlier?.s;
        const recordedAt = earlier?.t !== undefined && earlier.s === subject ? earlier.t : now();
        // Stryker disable next-line ConditionalExpression: equivalent, JSON.stringify leaves out an undefined f
        const record: Record = { c: token.clientId, ...(family === undefined ? {} : { f: family }), ...(subject === undefined ? {} : { s: subject, t: recordedAt }) };
        // Stryker disable next-line StringLiteral: equivalent, Buffer.from reads an empty encoding name as UTF-8
        await store.set(key, keyspace.seal(key, Buffer.from(JSON.stringify(record), "utf8")), ttlMs);
      } catch (error) {
        logger.warn({ reason: describeError(error) }, "identity contexts: could not record one; its credentials need a refresh of the tokens first");
      }
    },

    async forget(identityContext) {
      if (!enabled) return;
      try {
        await store.delete(keyOf(identityContext));
      } catch (error) {
        logger.warn({ reason: describeError(error) }, "identity contexts: could not forget a signed-out session's one; it verifies until its access token expires");
      }
    },

    async forgetUser(clientId, subject, at) {
      if (!enabled) return;
      await store.set(userKeyOf(clientId, subject), Buffer.from(String(at), "utf8"), USER_SIGN_OUT_MARK_MS);
    },

    async refuseIfRevoked(token, field) {
      if (enabled && (await families.revokedTokens(token))) {
        throw new GatewayError("INVALID_GRANT", "These tokens were revoked (refresh-token reuse); sign in again.", { field });
      }
    },

    async verify(identityContext, field) {
      const key = keyOf(identityContext);
      const record = await recordOf(key);
      if (record === undefined || (await signedOutAfter(record))) {
        throw new GatewayError(
          "BAD_USER_INPUT",
          "identityContext is not one this gateway issued with unexpired tokens: use awsAdditionalDetails.identityContext of a current createTokenWithIAM or refreshToken answer (refresh the tokens when they have expired).",
          { field },
        );
      }
      if (record.f !== undefined && (await families.isRevoked(record.f))) {
        throw new GatewayError("INVALID_GRANT", "The tokens this identity context came with were revoked (refresh-token reuse); sign in again.", { field });
      }
      return { clientId: record.c };
    },
  };
}

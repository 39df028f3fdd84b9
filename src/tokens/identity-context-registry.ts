import { GatewayError } from "../errors/error-codes.js";
import type { Keyspace } from "../store/keyspace.js";
import { createMemoryStore } from "../store/memory-store.js";
import { describeError } from "../store/store-options.js";
import type { Store, StoreLogger } from "../store/store.types.js";
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
}

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

  return {
    async remember(token, familyOf) {
      const identityContext = token.awsAdditionalDetails?.identityContext;
      if (!enabled || identityContext === undefined || token.expiresIn === undefined) return;
      const ttlMs = token.issuedAt + token.expiresIn * 1000 - now();
      if (ttlMs <= 0) return;
      const key = keyOf(identityContext);
      const family = familyOf();
      // Stryker disable next-line ConditionalExpression: equivalent, JSON.stringify leaves out an undefined f
      const record: Record = { c: token.clientId, ...(family === undefined ? {} : { f: family }) };
      try {
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

    async verify(identityContext, field) {
      const key = keyOf(identityContext);
      const sealed = await store.get(key);
      if (sealed === null) {
        throw new GatewayError(
          "BAD_USER_INPUT",
          "identityContext is not one this gateway issued with unexpired tokens: use awsAdditionalDetails.identityContext of a current createTokenWithIAM or refreshToken answer (refresh the tokens when they have expired).",
          { field },
        );
      }
      const record = JSON.parse(keyspace.open(key, sealed).toString("utf8")) as Record;
      if (record.f !== undefined && (await families.isRevoked(record.f))) {
        throw new GatewayError("INVALID_GRANT", "The tokens this identity context came with were revoked (refresh-token reuse); sign in again.", { field });
      }
      return { clientId: record.c };
    },
  };
}

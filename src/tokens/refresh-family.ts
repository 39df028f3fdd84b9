import type { Keyspace } from "../store/keyspace.js";
import { createMemoryStore } from "../store/memory-store.js";
import { describeError as describe } from "../store/store-options.js";
import type { Store, StoreLogger } from "../store/store.types.js";
import type { ValidTokenRequest } from "./grant-validation.js";
import type { IssuedToken } from "./token.types.js";

export interface RefreshFamiliesOptions {
  /** Nodes. */
  store: Store;
  /** Revocation markers; default `store`. Without Redis, a store of their own (familyStores). */
  revocations?: Store;
  /** Access-token links; default `store`. Without Redis, the shared store (familyStores). */
  links?: Store;
  keyspace: Keyspace;
  /** False: no bookkeeping, every verdict is `unknown` (REFRESH_REUSE_DETECTION=false). */
  enabled: boolean;
  /** How long a family's bookkeeping lives after its last refresh, ms (REFRESH_FAMILY_TTL_SECONDS). */
  ttlMs: number;
  logger: StoreLogger;
}

/**
 * What the gateway knows about a presented refresh token:
 * - `unknown`: never rotated through this gateway (or its bookkeeping expired): a family root.
 * - `live`: a descendant this gateway handed out, not rotated yet.
 * - `rotated`: rotated, and its successor has not been refreshed: a concurrent caller (grace window).
 * - `reused`: rotated, and its successor was refreshed too: the token is being replayed.
 * - `revoked`: its family was revoked after a reuse: refused, whatever AWS would say.
 * `first` (live only): the token has no predecessor, so the gateway never rotated into it: a token exchange's answer,
 * linked to its subject's family, which the response cache may hold as it holds an `unknown` root.
 */
export type FamilyVerdict = { kind: "unknown" } | { kind: "live" | "rotated" | "reused" | "revoked"; family: string; first?: true };

/**
 * Refresh-token families (RFC 9700 §4.14.2): each refresh token the gateway rotates gets a node
 * `{ family, successor }` under an HMAC key of the application and the token; the root's key
 * digest names the family (an HMAC: safe to log). Identity Center has no revocation API, so a
 * revoked family is a marker the gateway itself checks before any upstream call, on every
 * replica sharing the store. Each refresh writes two nodes of fixed size with a TTL and deletes
 * the node three generations back, so a live session holds at most three nodes however often it
 * refreshes (without that, one caller refreshing at its budget would add a node per refresh for
 * REFRESH_FAMILY_TTL_SECONDS). The cost: a token two or more rotations old is `unknown` again, so
 * it goes to AWS, which refuses it (rotated), but it no longer revokes the family; the reuse the
 * RFC is about (the token just before the live one) is always detected.
 * A store failure never fails a refresh: the bookkeeping is lost for that token, not the tokens.
 */
export interface RefreshFamilies {
  readonly enabled: boolean;
  inspect(request: ValidTokenRequest): Promise<FamilyVerdict>;
  /** Records the rotation of the presented token into `successor.refreshToken`, in `family` (undefined: the presented token is the root). */
  recordRotation(request: ValidTokenRequest, successor: IssuedToken, family: string | undefined): Promise<void>;
  revoke(family: string): Promise<void>;
  /** Whether `family` was revoked (false when detection is off). A store failure rejects. */
  isRevoked(family: string): Promise<boolean>;
  /** The family a refresh token starts when it is first rotated (its own node's digest); with `verdict`, the family it is in. */
  familyOf(clientId: string, refreshToken: string, verdict?: FamilyVerdict): string;
  /**
   * Records that `token` (its access token, and its refresh token when it has one) belongs to
   * `family`: a TOKEN_EXCHANGE of that access token is then refused once the family is revoked, and
   * the refresh token of what such an exchange issues stays in the family (see tokenExchangeFamily).
   * The access token's link lives as long as the access token. A store failure is logged. Never rejects.
   */
  link(token: IssuedToken, family: string, options?: { refreshTokenToo?: boolean }): Promise<void>;
  /** The family of a TOKEN_EXCHANGE's subject token when the gateway linked it, and whether it was revoked. A store failure is logged: unknown. */
  familyOfAccessToken(accessToken: string): Promise<{ family: string; revoked: boolean } | undefined>;
  /**
   * Whether tokens the gateway handed out (a session's) belong to a revoked family: their refresh token's verdict,
   * or without one their access token's link. Unknown or a store failure (logged): false. Never rejects.
   */
  revokedTokens(token: Pick<IssuedToken, "clientId" | "accessToken" | "refreshToken">): Promise<boolean>;
}

interface FamilyNode {
  /** The family id (the root node key's digest). */
  f: string;
  /** The successor's node key, once this token was rotated. */
  s?: string;
  /** The predecessor's node key (absent for a root): lets a rotation delete the generations nobody needs any more. */
  p?: string;
}

/**
 * Family bookkeeping one process keeps without Redis, in heap bytes as the memory store counts them
 * (~540 a node: ~37,000 nodes; two or three a live family). Counted in the gateway's heap budget with
 * MEMORY_REVOCATION_LIMITS (src/server/heap-tenants.ts): 150,000 nodes once held ~58 MB of heap and
 * 27 MB outside it, past what the image's heap holds beside a full response cache.
 */
export const MEMORY_FAMILY_LIMITS = { maxEntries: 100_000, maxBytes: 20 * 1024 * 1024 } as const;
/** Revocations without Redis: a store of their own (~7,000 markers), which only a detected reuse writes. */
export const MEMORY_REVOCATION_LIMITS = { maxEntries: 20_000, maxBytes: 4 * 1024 * 1024 } as const;

/**
 * Where families live. On Redis: the shared store (TTLs, no eviction). In one process: nodes and
 * revocations in memory stores of their own, because the shared memory store is an LRU of
 * CACHE_MAX_ENTRIES that every sign-in's cached answer churns; a revocation evicted there would let the
 * family's live token through to AWS, which still honours it. Only rotations (each an upstream call
 * within the caller's budget) write nodes, and only a detected reuse (three) a revocation: kept apart,
 * nodes never push a revocation out. Access-token links (one per sign-in and refresh) live in the shared
 * store, within the response cache's bounds: in their own store, the links of a gateway serving ~17,000
 * sign-ins an hour added ~19 MB to its RSS (bench), while one pushed out of the shared store only lets
 * its access token be exchanged as an unlinked one.
 */
export function familyStores(store: Store): { store: Store; revocations: Store; links: Store } {
  if (store.kind !== "memory") return { store, revocations: store, links: store };
  return { store: createMemoryStore(MEMORY_FAMILY_LIMITS), revocations: createMemoryStore(MEMORY_REVOCATION_LIMITS), links: store };
}

/** A family id: the root node key's digest (an HMAC: safe to log). */
const digestOf = (key: string): string => key.slice(key.lastIndexOf(":") + 1);

export function createRefreshFamilies(options: RefreshFamiliesOptions): RefreshFamilies {
  const { store, keyspace, enabled, ttlMs, logger } = options;
  const revocations = options.revocations ?? store;
  const links = options.links ?? store;
  const nodeKey = (clientId: string, refreshToken: string): string => keyspace.key("refresh-node", clientId, refreshToken);
  const revokedKey = (family: string): string => keyspace.key("refresh-family-revoked", family);
  const accessKey = (accessToken: string): string => keyspace.key("access-family", accessToken);

  // A family's nodes and its revocation are read through an outage where the store allows it (Redis
  // refusing writes still reads): served from process memory alone, a family revoked before the outage
  // was unknown during it, and its live token went to AWS, which honours it (an attacker's review).
  const readFrom = (from: Store, key: string): Promise<Buffer | null> => (from.getKeptThroughOutage ? from.getKeptThroughOutage(key) : from.get(key));
  const read = (key: string): Promise<Buffer | null> => readFrom(store, key);
  const readRevoked = (family: string): Promise<Buffer | null> => readFrom(revocations, revokedKey(family));

  async function readNode(key: string): Promise<FamilyNode | undefined> {
    const sealed = await read(key);
    if (sealed === null) return undefined;
    const node = JSON.parse(keyspace.open(key, sealed).toString("utf8")) as FamilyNode;
    return typeof node?.f === "string" ? node : undefined;
  }

  function writeNode(key: string, node: FamilyNode): Promise<void> {
    // Stryker disable next-line StringLiteral: equivalent, Buffer.from reads an empty encoding name as UTF-8
    return store.set(key, keyspace.seal(key, Buffer.from(JSON.stringify(node), "utf8")), ttlMs);
  }

  const families: RefreshFamilies = {
    enabled,

    async inspect(request) {
      if (!enabled || request.refreshToken === undefined) return { kind: "unknown" };
      try {
        const key = nodeKey(request.clientId, request.refreshToken);
        const node = await readNode(key);
        if (node === undefined) {
          // A root never rotated has no node, yet its family (its own digest) is revoked when a token exchanged
          // from its access token (linked to the family) was reused: refused too, or it refreshed into fresh tokens.
          const root = digestOf(key);
          return (await readRevoked(root)) !== null ? { kind: "revoked", family: root } : { kind: "unknown" };
        }
        if ((await readRevoked(node.f)) !== null) return { kind: "revoked", family: node.f };
        if (node.s === undefined) return { kind: "live", family: node.f, ...(node.p === undefined ? { first: true as const } : {}) };
        const successor = await readNode(node.s);
        return { kind: successor?.s === undefined ? "rotated" : "reused", family: node.f };
      } catch (error) {
        logger.warn({ reason: describe(error) }, "refresh families: lookup failed; treating the token as unknown");
        return { kind: "unknown" };
      }
    },

    async recordRotation(request, successor, family) {
      if (!enabled || request.refreshToken === undefined || successor.refreshToken === undefined) return;
      const presented = nodeKey(request.clientId, request.refreshToken);
      const next = nodeKey(successor.clientId, successor.refreshToken);
      const id = family ?? digestOf(presented);
      try {
        const parent = (await readNode(presented))?.p;
        await Promise.all([writeNode(presented, { f: id, s: next, ...(parent ? { p: parent } : {}) }), writeNode(next, { f: id, p: presented })]);
        // The presented token's grandparent: its own successor (the parent) is rotated and kept, so
        // a replay of the parent is still detected; the grandparent's node is no longer needed.
        const grandparent = parent === undefined ? undefined : (await readNode(parent))?.p;
        if (grandparent !== undefined) await store.delete(grandparent);
      } catch (error) {
        logger.warn({ reason: describe(error) }, "refresh families: could not record a rotation");
      }
    },

    async isRevoked(family) {
      return enabled && (await readRevoked(family)) !== null;
    },

    familyOf(clientId, refreshToken, verdict) {
      return verdict !== undefined && verdict.kind !== "unknown" ? verdict.family : digestOf(nodeKey(clientId, refreshToken));
    },

    async link(token, family, options = {}) {
      if (!enabled) return;
      const accessTtlMs = token.expiresIn === undefined ? 0 : token.issuedAt + token.expiresIn * 1000 - Date.now();
      const { accessToken } = token;
      try {
        const key = accessToken === undefined ? undefined : accessKey(accessToken);
        await Promise.all([
          key !== undefined && accessTtlMs > 0 ? links.set(key, keyspace.seal(key, Buffer.from(family, "utf8")), accessTtlMs) : undefined,
          options.refreshTokenToo === true && token.refreshToken !== undefined ? writeNode(nodeKey(token.clientId, token.refreshToken), { f: family }) : undefined,
        ]);
      } catch (error) {
        logger.warn({ reason: describe(error) }, "refresh families: could not link an answer to its family");
      }
    },

    async familyOfAccessToken(accessToken) {
      if (!enabled) return undefined;
      try {
        const key = accessKey(accessToken);
        const sealed = await readFrom(links, key);
        if (sealed === null) return undefined;
        const family = keyspace.open(key, sealed).toString("utf8");
        return { family, revoked: (await readRevoked(family)) !== null };
      } catch (error) {
        logger.warn({ reason: describe(error) }, "refresh families: access token lookup failed; treating it as unknown");
        return undefined;
      }
    },

    async revokedTokens(token) {
      if (!enabled) return false;
      if (token.refreshToken !== undefined) {
        return (await families.inspect({ clientId: token.clientId, grantType: "REFRESH_TOKEN", refreshToken: token.refreshToken })).kind === "revoked";
      }
      return token.accessToken !== undefined && (await families.familyOfAccessToken(token.accessToken))?.revoked === true;
    },

    async revoke(family) {
      // Stryker disable next-line StringLiteral: equivalent, only the marker's presence is read (an empty value is kept and read back by both stores)
      await revocations.set(revokedKey(family), Buffer.from("revoked"), ttlMs);
    },
  };
  return families;
}

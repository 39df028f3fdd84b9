import type { Keyspace } from "../store/keyspace.js";
import type { Store, StoreLogger } from "../store/store.types.js";
import type { ValidTokenRequest } from "./grant-validation.js";
import { decodeIssuedToken, encodeIssuedToken } from "./issued-token-codec.js";
import type { IssuedToken } from "./token.types.js";

export interface RefreshGraceOptions {
  store: Store;
  keyspace: Keyspace;
  /** How long a rotated refresh token still obtains its successor; 0 disables the grace window. */
  graceMs: number;
  logger: StoreLogger;
}

/**
 * The refresh grace window: after a refresh succeeds, its response (the successor pair) is
 * kept, sealed, under a key derived from the presented refresh token, the application and the
 * scope. A second tab or replica presenting the same, now rotated, token within the window gets
 * that successor instead of INVALID_GRANT — the refresh race that logs users out.
 */
export interface RefreshGrace {
  readonly enabled: boolean;
  successorOf(request: ValidTokenRequest): Promise<IssuedToken | undefined>;
  remember(request: ValidTokenRequest, successor: IssuedToken): Promise<void>;
}

export function createRefreshGrace(options: RefreshGraceOptions): RefreshGrace {
  const { store, keyspace, graceMs, logger } = options;
  const keyOf = (request: ValidTokenRequest): string =>
    keyspace.key("refresh-successor", request.clientId, request.refreshToken ?? "", JSON.stringify(request.scope === undefined ? null : [...request.scope].sort()));

  return {
    enabled: graceMs > 0,

    async successorOf(request) {
      if (graceMs <= 0) return undefined;
      const key = keyOf(request);
      try {
        const sealed = await store.get(key);
        return sealed === null ? undefined : decodeIssuedToken(keyspace.open(key, sealed));
      } catch (error) {
        logger.warn({ reason: describe(error) }, "refresh grace: lookup failed");
        return undefined;
      }
    },

    async remember(request, successor) {
      if (graceMs <= 0) return;
      const key = keyOf(request);
      try {
        await store.set(key, keyspace.seal(key, encodeIssuedToken(successor)), graceMs);
      } catch (error) {
        logger.warn({ reason: describe(error) }, "refresh grace: could not keep the successor");
      }
    },
  };
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 200);
}

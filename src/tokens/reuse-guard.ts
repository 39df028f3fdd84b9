import type { Counter } from "prom-client";
import { GatewayError } from "../errors/error-codes.js";
import type { StoreLogger } from "../store/store.types.js";
import type { ValidTokenRequest } from "./grant-validation.js";
import type { FamilyVerdict, RefreshFamilies } from "./refresh-family.js";
import type { StoreFailureLog } from "../coordination/store-failure-log.js";

/**
 * The gateway's answer to refresh-token reuse: a token of a revoked family, or a rotated token
 * whose successor was already refreshed (which revokes the family), gets INVALID_GRANT before any
 * upstream call. Each is a security event: logged at warn with the family id (an HMAC, never a
 * token) and counted. Its INVALID_GRANT is final: never answered from the grace window afterwards.
 */
export interface ReuseGuard {
  refuse(request: ValidTokenRequest, verdict: FamilyVerdict): Promise<void>;
  /**
   * A rotated token with no successor left to serve (its grace window is over, or grace is off):
   * AWS would answer INVALID_GRANT, so the gateway does, without spending an upstream call. Logged
   * at warn (a stale tab, or a thief arriving late) and counted, but the family is not revoked: its
   * successor was not used after it, so nothing proves a second holder.
   */
  refuseRotated(request: ValidTokenRequest, verdict: FamilyVerdict): void;
  isRefusal(error: unknown): boolean;
}

export function createReuseGuard(options: {
  families: RefreshFamilies;
  logger: StoreLogger;
  storeFailures: StoreFailureLog;
  counter?: Pick<Counter<"outcome">, "inc"> | undefined;
}): ReuseGuard {
  const { families, logger, storeFailures, counter } = options;
  const refusals = new WeakSet<object>();
  const refusal = (): GatewayError => {
    const error = new GatewayError("INVALID_GRANT");
    refusals.add(error);
    return error;
  };

  return {
    async refuse(request, verdict) {
      if (verdict.kind === "revoked") {
        counter?.inc({ outcome: "revoked" });
        logger.warn({ event: "refresh_token_family_revoked", family: verdict.family, clientId: request.clientId }, "refresh reuse: refused a refresh token of a revoked family");
        throw refusal();
      }
      if (verdict.kind !== "reused") return;
      counter?.inc({ outcome: "reuse" });
      try {
        await families.revoke(verdict.family);
      } catch (error) {
        storeFailures.report("refresh family revocation", error);
      }
      logger.warn(
        { event: "refresh_token_reuse", family: verdict.family, clientId: request.clientId },
        "refresh reuse: a rotated refresh token was presented after its successor was refreshed; revoked its whole family",
      );
      throw refusal();
    },
    refuseRotated(request, verdict) {
      if (verdict.kind !== "rotated") return;
      counter?.inc({ outcome: "rotated" });
      logger.warn({ event: "refresh_token_rotated", family: verdict.family, clientId: request.clientId }, "refresh reuse: refused a refresh token rotated before the grace window");
      throw refusal();
    },
    isRefusal: (error) => typeof error === "object" && error !== null && refusals.has(error),
  };
}

import { isGatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { ValidTokenRequest } from "./grant-validation.js";
import type { IdentityContextRegistry } from "./identity-context-registry.js";
import type { RefreshFamilies } from "./refresh-family.js";
import type { RefreshGrace } from "./refresh-grace.js";
import type { ResponseCache } from "./response-cache.js";
import type { ReuseGuard } from "./reuse-guard.js";
import type { LateCodeAnswers, SingleUseDeadline } from "./single-use-deadline.js";
import type { TokenMetrics } from "./exchange-settings.js";
import type { IssuedToken, RequestCaller } from "./token.types.js";

/** What a refresh shares with the rest of the exchange pipeline (token-exchanger.ts builds each once per process). */
export interface RefreshExchangeDeps {
  families: RefreshFamilies;
  reuse: ReuseGuard;
  grace: RefreshGrace;
  lateCodes: LateCodeAnswers;
  singleUse: SingleUseDeadline;
  cache: Pick<ResponseCache, "forgetAnswerHolding">;
  identityContexts: Pick<IdentityContextRegistry, "remember">;
  /** Single-flight of single-use grants around `call` (the lock held until the call settles). */
  flySingleUse(request: ValidTokenRequest, fingerprint: string, call: () => Promise<IssuedToken>): Promise<IssuedToken>;
  /** The one place a request leaves for AWS (upstream-call.ts). */
  callUpstream(request: ValidTokenRequest, caller: RequestCaller | undefined): Promise<IssuedToken>;
  refuseIfPastUpstreamBudget(request: ValidTokenRequest, caller: RequestCaller | undefined): void;
  metrics?: TokenMetrics | undefined;
  logger: Logger;
}

export type RefreshExchange = (request: ValidTokenRequest, fingerprint: string, caller: RequestCaller | undefined) => Promise<IssuedToken>;

/**
 * A refresh: reuse detection (a revoked family, or a rotated token whose successor was refreshed,
 * is refused before any upstream call), the grace window, then single-flight; the answer becomes
 * the presented token's successor, and a cached answer holding the presented token is dropped. It
 * answers its caller by UPSTREAM_DEADLINE_MS while the call goes on (a late answer is kept for the retry).
 */
export function createRefreshExchange(deps: RefreshExchangeDeps): RefreshExchange {
  const { families, reuse, grace, lateCodes, singleUse, cache, identityContexts, metrics, logger } = deps;

  /** A caller outside the flight given the grace successor: a late answer of the same call (kept past the window) is then not handed out again (an attacker review collected it twice). */
  async function servedInGraceOnce(request: ValidTokenRequest, successor: IssuedToken, fingerprint: string): Promise<IssuedToken> {
    await lateCodes.discard(fingerprint);
    metrics?.singleFlight.inc({ role: "grace" });
    logger.info({ grant: request.grantType, clientId: request.clientId }, "refresh grace: served the successor of a refresh token rotated moments ago");
    return successor;
  }

  return async function refresh(request, fingerprint, caller) {
    const verdict = await families.inspect(request);
    await reuse.refuse(request, verdict);
    const successor = await grace.successorOf(request);
    if (successor) return servedInGraceOnce(request, successor, fingerprint);
    if (verdict.kind === "rotated") {
      // Rotated by a call that passed the deadline: its caller's retry collects the answer (once), grace window or not.
      const kept = await lateCodes.find(fingerprint);
      if (kept) return kept;
    }
    reuse.refuseRotated(request, verdict);
    deps.refuseIfPastUpstreamBudget(request, caller);
    let led = false;
    try {
      const token = await singleUse.run(request.grantType, (call) => deps.flySingleUse(request, fingerprint, async () => {
        call.led = true;
        led = true;
        // Another replica may have rotated this token between our grace check and our lock.
        const current = await families.inspect(request);
        await reuse.refuse(request, current);
        const rotated = await grace.successorOf(request);
        if (rotated) {
          call.answered = true;
          return servedInGraceOnce(request, rotated, fingerprint);
        }
        const token = await deps.callUpstream(request, caller);
        // The token is spent: from here its caller waits for the answer (or, late already, a retry collects it).
        call.answered = true;
        // Kept before anything else, and never failing: a late answer is the retry's only way to it.
        await grace.remember(request, token);
        const family = families.familyOf(request.clientId, request.refreshToken!, current);
        await Promise.all([
          families.recordRotation(request, token, current.kind === "unknown" ? undefined : current.family),
          identityContexts.remember(token, () => family),
          // Its access token: a TOKEN_EXCHANGE of it is refused once the family is revoked.
          families.link(token, family),
        ]);
        // A cached answer holds a token never rotated before: a root (unknown), or a token exchange's answer in its
        // subject's family (live, first). Kept, a retry of that exchange got the spent token, and its refresh after
        // the successor's was a reuse that revoked the user's whole family (a review).
        if (current.kind === "unknown" || (current.kind === "live" && current.first === true)) await cache.forgetAnswerHolding(request.clientId, request.refreshToken!);
        if (call.late) {
          // The grace window alone would keep it REFRESH_GRACE_SECONDS (or not at all): a retry after that found the token spent, and a session ended.
          // Kept before the flight hands the answer to its followers, who drop it (below).
          await lateCodes.keep(fingerprint, token);
          singleUse.kept(request.grantType);
        }
        return token;
      }));
      // A retry that joined the call (here or on another replica) received its answer: a kept copy is not handed out again (a review collected it twice).
      if (!led) await lateCodes.discard(fingerprint);
      return token;
    } catch (error) {
      // A refresh that lost the race by a hair: the winner rotated the token after our grace check.
      if (isGatewayError(error) && error.code === "INVALID_GRANT" && !reuse.isRefusal(error)) {
        if (grace.enabled) {
          await reuse.refuse(request, await families.inspect(request));
          const late = await grace.successorOf(request);
          if (late) return servedInGraceOnce(request, late, fingerprint);
        }
        // Reuse detection off: AWS refused the token a late call of this gateway spent; that call's answer is the retry's.
        const kept = await lateCodes.find(fingerprint);
        if (kept) return kept;
      }
      throw error;
    }
  };
}

import { GatewayError, isGatewayError } from "../errors/error-codes.js";
import type { RateLimit } from "../ratelimit/rate-limit.types.js";
import type { Upstream, UpstreamTokenRequest } from "../upstream/index.js";
import type { TokenMetrics } from "./exchange-settings.js";
import type { ValidTokenRequest } from "./grant-validation.js";
import { toIssuedToken } from "./issued-token.js";
import { GRANT_TYPE_URIS, type IssuedToken, type RequestCaller } from "./token.types.js";

/** Called right before every real upstream call; rejects with GatewayError("RATE_LIMITED") to refuse it. */
export interface ApplicationRateLimit {
  consume(clientId: string): Promise<void>;
  /** The refusal this process met moments ago for `clientId`, while its window lasts (RateLimit.refusedNow). */
  refusedNow?(clientId: string): GatewayError | undefined;
}

export interface UpstreamCallDeps {
  upstream: Upstream;
  metrics?: TokenMetrics | undefined;
  applicationRateLimit?: ApplicationRateLimit | undefined;
  /** Consulted (with the caller's address) right before every real upstream call, before the application's limit. */
  callerUpstreamRateLimit?: Pick<RateLimit, "consume" | "refusedNow"> | undefined;
}

/** The one way a token request leaves for AWS: behind the caller's and the application's budgets, measured. */
export interface UpstreamCall {
  call(request: ValidTokenRequest, caller: RequestCaller | undefined): Promise<IssuedToken>;
  /**
   * Throws, with no I/O, the refusal `call` would meet: the caller's upstream budget or the
   * application's was refused moments ago in this process and its window lasts. Lets an exchange be
   * refused before any coordination: past either budget, every uncached exchange would otherwise
   * still take a lock, store its shared error and publish it (~30 Redis commands) only to be refused.
   * A budget this process has not seen refused is left to `call`.
   */
  refuseIfPastBudget(request: ValidTokenRequest, caller: RequestCaller | undefined): void;
}

export function createUpstreamCall(deps: UpstreamCallDeps): UpstreamCall {
  const { upstream, metrics, applicationRateLimit, callerUpstreamRateLimit } = deps;
  return {
    refuseIfPastBudget(request, caller) {
      const refusal = (caller === undefined ? undefined : callerUpstreamRateLimit?.refusedNow?.(caller.address)) ?? applicationRateLimit?.refusedNow?.(request.clientId);
      if (refusal !== undefined) throw refusal;
    },

    async call(request, caller) {
      // The caller's own budget first: a caller over it must not spend the application's shared one.
      if (caller !== undefined) await callerUpstreamRateLimit?.consume(caller.address);
      await applicationRateLimit?.consume(request.clientId);
      const grant = request.grantType;
      const stopTimer = metrics?.upstreamDuration.startTimer({ grant });
      try {
        const response = await upstream.createTokenWithIAM(toUpstreamRequest(request));
        metrics?.upstreamCalls.inc({ grant, outcome: "ok" });
        return toIssuedToken(response, request.clientId, Date.now());
      } catch (error) {
        metrics?.upstreamCalls.inc({ grant, outcome: isGatewayError(error) ? error.code : "INTERNAL_SERVER_ERROR" });
        throw asGatewayError(error);
      } finally {
        stopTimer?.();
      }
    },
  };
}

function toUpstreamRequest(request: ValidTokenRequest): UpstreamTokenRequest {
  const { grantType, scope, ...fields } = request;
  return { ...fields, grantType: GRANT_TYPE_URIS[grantType] as UpstreamTokenRequest["grantType"], ...(scope === undefined ? {} : { scope: [...scope] }) };
}

/** The upstream rejects with GatewayError only; anything else is a gateway bug and is masked. */
export function asGatewayError(error: unknown): GatewayError {
  return isGatewayError(error) ? error : new GatewayError("INTERNAL_SERVER_ERROR", undefined, {}, { cause: error });
}

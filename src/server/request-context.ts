import type { FastifyRequest } from "fastify";
import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayContext } from "../schema/context.js";
import { callerKeyOf } from "./caller-key.js";
import { GatewayError } from "../errors/error-codes.js";
import type { RequestCredentialsService } from "../credentials/index.js";
import type { RequestSessionService, SessionCookie, SessionService } from "../sessions/index.js";
import type { CredentialsService, TokenService } from "./server.types.js";
import { readSessionId } from "./session-cookie.js";
import { refuseSessionRequest } from "./session-csrf.js";

/** A server built without a credentials service: both credentials entry points refuse, naming the field. */
const notConfigured = (field: string): Promise<never> =>
  Promise.reject(new GatewayError("BAD_USER_INPUT", "Identity-enhanced credentials are not configured on this gateway.", { field }));
const CREDENTIALS_NOT_CONFIGURED: RequestCredentialsService = {
  forIssuedTokens: () => notConfigured("roleArn"),
  forIdentityContext: () => notConfigured("input.roleArn"),
};

const sessionModeOff = (): Promise<never> =>
  Promise.reject(new GatewayError("UNAUTHENTICATED", "Session mode is off on this gateway (SESSION_MODE=off): frontends hold their tokens and refresh with refreshToken(input)."));
/** Session mode off: no request has a session; the session mutations say why. */
const SESSIONS_OFF: RequestSessionService = {
  signIn: sessionModeOff,
  abandonSignIn: () => Promise.resolve(undefined),
  current: () => Promise.resolve(undefined),
  refresh: sessionModeOff,
  signOut: () => Promise.resolve(false),
  signOutEverywhere: sessionModeOff,
};

/**
 * Where a request's session cookie instruction waits for the response (the session-cookie plugin
 * sends it). Keyed by a holder object the context carries, not by the context itself: Apollo
 * shallow-copies the context value per operation.
 */
const pendingCookies = new WeakMap<object, SessionCookie>();

/** The session cookie a GraphQL response must set or clear, recorded by the request's session service. */
export function pendingSessionCookie(context: GatewayContext): SessionCookie | undefined {
  return pendingCookies.get(context.session);
}

/**
 * Builds each GraphQL request's context. `tokenService.forRequest()` is called per request
 * because the RequestTokenService holds that request's DataLoader: sharing one would dedupe
 * (and cache) across users. It is handed the caller's address (fastify's `request.ip`, which
 * honours TRUST_PROXY), an IPv6 caller by its /64 (caller-key.ts): the key of that caller's upstream budget.
 */
export function createContextFunction(deps: {
  config: GatewayConfig; tokenService: TokenService; credentialsService?: CredentialsService | undefined; sessionService?: SessionService | undefined; logger: Logger;
}) {
  const { config, tokenService, credentialsService, sessionService, logger } = deps;
  return async (request: FastifyRequest): Promise<GatewayContext> => {
    const caller = { address: callerKeyOf(request, config.ipv6CallerPrefixLength) };
    const tokens = tokenService.forRequest(caller);
    const context: GatewayContext = {
      tokens,
      credentials: credentialsService?.forRequest(caller) ?? CREDENTIALS_NOT_CONFIGURED,
      session: SESSIONS_OFF,
      caller,
      config,
      logger,
      requestId: request.id,
      clientGone: () => request.raw.socket?.destroyed === true,
    };
    if (sessionService !== undefined) {
      let guarded: RequestSessionService | undefined;
      const session = sessionService.forRequest({
        sessionId: readSessionId(request.headers.cookie),
        caller,
        setCookie: (cookie) => pendingCookies.set(guarded as RequestSessionService, cookie),
        tokens,
      });
      guarded = guardedSession(session, () => refuseSessionRequest({ headers: request.headers, ownOrigin: `${request.protocol}://${request.host}` }, config.cors));
      context.session = guarded;
    }
    return context;
  };
}

/** Every session operation passes the CSRF check first (session-csrf.ts); a refused one never reaches the store. */
function guardedSession(session: RequestSessionService, refusal: () => GatewayError | undefined): RequestSessionService {
  const guard = <A extends unknown[], R>(operation: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    const refused = refusal();
    return refused === undefined ? operation(...args) : Promise.reject(refused);
  };
  return {
    signIn: guard(session.signIn),
    // Not a caller's operation: the server's, for a sign-in that passed the check already.
    abandonSignIn: session.abandonSignIn,
    current: guard(session.current),
    refresh: guard(session.refresh),
    signOut: guard(session.signOut),
    signOutEverywhere: guard(session.signOutEverywhere),
  };
}

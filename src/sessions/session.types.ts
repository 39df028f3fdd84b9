import type { IssuedToken, MaybePromise, RequestCaller, RequestTokenService } from "../tokens/token.types.js";
import type { AskedSignIn } from "./sessions-without-subject.js";

/**
 * The contract between the server/schema layers and the session service. Plain data only: nothing
 * here knows GraphQL, HTTP or cookies. The server reads the cookie and hands over the session id;
 * the session service says which cookie the response must set or clear.
 */

/** What the response must do with the session cookie. */
export type SessionCookie =
  | { kind: "set"; sessionId: string; /** Until the session's absolute expiry. */ maxAgeSeconds: number }
  | { kind: "clear" };

/** What the session service needs of one request. */
export interface SessionRequest {
  /** The session id the request's cookie carries; undefined when it carries none (or a malformed one). */
  sessionId: string | undefined;
  /** Records the cookie the response must set or clear (the last call wins). */
  setCookie(cookie: SessionCookie): void;
  /** Who sent the request (its address is the key of its upstream budget). */
  caller?: RequestCaller | undefined;
  /** The request's token service: a refresh spends this caller's upstream budget and joins its flights. */
  tokens: Pick<RequestTokenService, "refresh">;
}

/** A live session as callers may see it. `token` holds every token: the schema withholds what SESSION_EXPOSE does not list. */
export interface SessionView {
  clientId: string;
  /** The id token's `sub`; null when the session has no id token (no `openid` scope). */
  subject: string | null;
  /** Epoch ms: when the user signed in (kept across refreshes). */
  signedInAt: number;
  /** Epoch ms: when the session ends unless an operation uses it first. */
  idleExpiresAt: number;
  /** Epoch ms: when the session ends however it is used. */
  absoluteExpiresAt: number;
  token: IssuedToken;
}

/** The session operations of one GraphQL request. Each fails only by rejecting with a GatewayError. */
export interface RequestSessionService {
  /**
   * Runs `exchange` (after the server's checks: a refused request never spends a grant) and starts a
   * session holding its tokens, replacing the request's own session, if any, and setting its cookie.
   * Aliases of one exchange (the same `exchangeKey`) in an operation share one sign-in; a second,
   * different one is refused with BAD_USER_INPUT before its exchange runs. Spends one unit of the
   * caller's upstream budget.
   */
  signIn(exchange: () => MaybePromise<IssuedToken>, exchangeKey: string, asked?: AskedSignIn): Promise<{ token: IssuedToken; session: SessionView }>;
  /**
   * The request's caller left before its answer (the response, and the cookie of the session this request's sign-in
   * started, reach nobody): ends that session, unless a later field moved on from it, and resolves to its tokens for
   * the caller's retry with the same grant; undefined when there is none to hand over. Never rejects on a store failure.
   */
  abandonSignIn(): Promise<IssuedToken | undefined>;
  /** The request's live session (renewing its idle timeout), or undefined (its cookie is then cleared). */
  current(): Promise<SessionView | undefined>;
  /**
   * Renews the session's tokens with its refresh token and rotates its id. Concurrent refreshes of
   * one session (tabs, replicas) make one upstream call and all get the new session. INVALID_GRANT
   * and EXPIRED_TOKEN end the session; other failures keep it. UNAUTHENTICATED without a live session.
   */
  refresh(): Promise<SessionView>;
  /** Ends the request's session and clears its cookie. True when there was a live one. */
  signOut(): Promise<boolean>;
  /** Ends every session of the request's user (same application and subject), on every replica. UNAUTHENTICATED without a live session. */
  signOutEverywhere(): Promise<boolean>;
}

export interface SessionService {
  forRequest(request: SessionRequest): RequestSessionService;
}

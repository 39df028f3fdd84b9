import type { FlightSteps, SingleFlight, SingleFlightCodec } from "../coordination/single-flight.js";
import { GatewayError, isGatewayError, type ErrorCode } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { IdentityContextRegistry } from "../tokens/identity-context-registry.js";
import type { IssuedToken } from "../tokens/token.types.js";
import type { RotationNotes } from "./rotation-notes.js";
import { unauthenticated, type FoundSession, type RotationSaving } from "./rotation-saving.js";
import { newSessionId } from "./session-id.js";
import { absoluteExpiryOf, recordTtlMs, type LiveSessionRecord } from "./session-record.js";
import { sinceRead } from "./session-since-read.js";
import type { SessionSignIn } from "./session-sign-in.js";
import type { SessionStore } from "./session-store.js";
import type { RequestSessionService, SessionRequest, SessionView } from "./session.types.js";
import type { UnsavedRotations } from "./unsaved-rotations.js";

/** AWS's answers that mean the refresh token will never work again: the session is over. Anything else (UPSTREAM_*, SLOW_DOWN, RATE_LIMITED) keeps it. */
const SESSION_ENDING_CODES: ReadonlySet<ErrorCode> = new Set(["INVALID_GRANT", "EXPIRED_TOKEN"]);
/** Replicas' clocks differ a little: a sign-out-everywhere marker outlives the sessions it ends by this much. */
const CLOCK_SLACK_MS = 60_000;

export type SessionEvent = "started" | "refreshed" | "ended" | "signed_out" | "signed_out_everywhere" | "displaced";

/** What every request's session operations share: the session service's steps over the store (session-service.ts). */
export interface SessionOperations extends Pick<RotationNotes, "confirmRotation" | "removeSession">, Pick<RotationSaving, "saveRotation" | "saveLateRotation"> {
  absoluteLifetimeMs: number;
  rotationGraceMs: number;
  idleMs: number;
  sessions: SessionStore;
  flights: SingleFlight;
  rotationCodec: SingleFlightCodec<FoundSession>;
  unsaved: UnsavedRotations;
  identityContexts: Pick<IdentityContextRegistry, "forgetUser"> | undefined;
  signIn: SessionSignIn;
  /** The live session an id is or forwards to (session-service.ts). */
  find(id: string): Promise<FoundSession | undefined>;
  /** Ends a session as a sign-out does; `unseen`: no page saw it, its identity context stays (or a token: when it is the token's). */
  end(id: string, slotTaken?: boolean, unseen?: boolean | IssuedToken): Promise<FoundSession | undefined>;
  /** Renews the idle clock and answers the session as callers see it. */
  use(found: FoundSession): Promise<SessionView>;
  viewOf(found: FoundSession): SessionView;
  forgetIdentityContext(token: IssuedToken): Promise<void>;
  count(event: SessionEvent): void;
  logger: Logger;
  now: () => number;
}

/**
 * One request's session operations: the session it holds (its cookie's, then whatever an earlier
 * field of the operation signed in to or rotated to), and the cookie the response must set.
 */
export function createRequestSession(operations: SessionOperations, request: SessionRequest): RequestSessionService {
  const {
    absoluteLifetimeMs, rotationGraceMs, idleMs, sessions, flights, rotationCodec, unsaved, identityContexts, signIn,
    find, end, use, viewOf, forgetIdentityContext, confirmRotation, removeSession, saveRotation, saveLateRotation, count, logger, now,
  } = operations;
  let signedIn: { key: string; result: Promise<{ token: IssuedToken; session: SessionView }> } | undefined;
  /** The session this request's sign-in started, once its cookie is set. */
  let signedInId: string | undefined;

  // The session this request holds now: an operation that signs in or refreshes and then uses the
  // session (a later field of the same mutation) uses the new id, not the one its cookie carried.
  let heldId = request.sessionId;
  const setSessionCookie = (view: { id: string; absoluteExpiresAt: number }) => {
    heldId = view.id;
    request.setCookie({ kind: "set", sessionId: view.id, maxAgeSeconds: Math.max(1, Math.ceil((view.absoluteExpiresAt - now()) / 1000)) });
  };
  const clearCookie = () => {
    heldId = undefined;
    request.setCookie({ kind: "clear" });
  };

  /** The session the request holds, or UNAUTHENTICATED (clearing a stale cookie). */
  async function liveSession(): Promise<{ id: string; found: FoundSession }> {
    const id = heldId;
    if (id === undefined) throw unauthenticated();
    const found = await find(id);
    if (found === undefined) {
      clearCookie();
      throw unauthenticated();
    }
    await confirmRotation(id, found);
    return { id, found };
  }

  /** A rotation this request could not save, waiting in memory (unsaved-rotations.ts): its flight holds the lock until it is saved. */
  let unsavedRotation: Promise<void> | undefined;

  async function rotate(found: FoundSession, refreshToken: string): Promise<FoundSession> {
    const issued = await request.tokens.refresh({ clientId: found.record.token.clientId, refreshToken });
    const at = now();
    // AWS may leave out what did not change: the old refresh token (not rotated) and id token stay.
    const token: IssuedToken = { ...issued, refreshToken: issued.refreshToken ?? refreshToken, ...(issued.idToken ?? found.record.token.idToken ? { idToken: issued.idToken ?? found.record.token.idToken } : {}) };
    const record: LiveSessionRecord = {
      ...found.record, token, absoluteExpiresAt: absoluteExpiryOf(token, found.record.absoluteExpiresAt), rotatedFrom: { id: found.id, at },
    };
    const successor = { id: newSessionId(), record, seenAt: at };
    count("refreshed");
    try {
      // The old id forwards until the browser uses the new one (confirmRotation), at most as long as the new session may
      // sit idle: a refresh whose answer never reached the browser (a dropped connection, a page put to sleep) left it
      // holding only the old cookie, which led nowhere once the grace window ended, and the user was signed out.
      await saveRotation(found.id, successor, rotationGraceMs === 0 ? 0 : Math.max(rotationGraceMs, recordTtlMs(record, at, idleMs)));
    } catch (error) {
      if (!isGatewayError(error) || error.code !== "SESSION_STORE_UNAVAILABLE") throw error;
      // The refresh token is spent: the new tokens wait for the store, the old id (the browser's cookie) forwarding to them once saved.
      unsavedRotation = unsaved.keep(found.id, () => saveLateRotation(found.id, successor), Math.min(successor.record.absoluteExpiresAt, successor.seenAt + idleMs));
      throw error;
    }
    return successor;
  }

  return {
    signIn(exchange, exchangeKey, asked = { scope: undefined }) {
      if (signedIn === undefined) {
        const setSignedInCookie = (view: { id: string; absoluteExpiresAt: number }) => {
          signedInId = view.id;
          setSessionCookie(view);
        };
        signedIn = { key: exchangeKey, result: signIn({ caller: request.caller, heldId: () => heldId, setSessionCookie: setSignedInCookie }, exchange, asked) };
      } else if (signedIn.key !== exchangeKey) {
        // Refused before its exchange runs: a second grant is never spent on a sign-in that cannot stand (one cookie, one session).
        return Promise.reject(new GatewayError("BAD_USER_INPUT", "In session mode one operation signs in once: send the other createTokenWithIAM in another request."));
      }
      // Aliases of one exchange share one sign-in (one exchange, one session).
      return signedIn.result;
    },

    async abandonSignIn() {
      // Only a session nothing else in the operation moved on from (a later field's refresh rotated it and spent its refresh token).
      const id = signedInId;
      if (signedIn === undefined || id === undefined || heldId !== id) return undefined;
      const signedInWith = await signedIn.result.catch(() => undefined);
      if (signedInWith === undefined) return undefined;
      const { token } = signedInWith;
      try {
        if ((await end(id, false, true)) === undefined) return undefined;
      } catch (error) {
        // The store failed: the session stays, as its cookie would have; the user signs in again.
        logger.warn({ clientId: token.clientId, reason: isGatewayError(error) ? error.code : "error" }, "a sign-in whose caller left could not end its session");
        return undefined;
      }
      logger.info({ clientId: token.clientId }, "session not started: its caller left before the answer, the tokens are kept for the retry");
      return token;
    },

    async current() {
      const id = heldId;
      if (id === undefined) return undefined;
      const found = await find(id);
      if (found === undefined) {
        clearCookie();
        return undefined;
      }
      await confirmRotation(id, found);
      // A request with an id a refresh rotated moments ago: the browser catches up to the new one.
      if (found.id !== id) setSessionCookie({ id: found.id, absoluteExpiresAt: found.record.absoluteExpiresAt });
      return use(found);
    },

    async refresh() {
      const { id, found } = await liveSession();
      if (found.id !== id) {
        // Another tab or replica refreshed this session moments ago: its result is this one's.
        setSessionCookie({ id: found.id, absoluteExpiresAt: found.record.absoluteExpiresAt });
        return use(found);
      }
      const refreshToken = found.record.token.refreshToken;
      if (refreshToken === undefined) {
        throw new GatewayError("INVALID_GRANT", "This session holds no refresh token (Identity Center issued none): it ends when its access token expires; sign in again.");
      }
      let successor: FoundSession;
      try {
        const since = sinceRead(found, { read: (id) => sessions.read(id), find });
        // An unsaved rotation keeps the lock: released at once (Redis at maxmemory still deletes), another replica's refresh
        // led anew from the session as stored, presented the spent token and ended the session before this one saved it (a review).
        const steps: FlightSteps<FoundSession> = { ...since.steps, holdAfterFailure: () => unsavedRotation };
        ({ value: successor } = await flights.run(`session-refresh\u0000${id}`, () => since.unchanged().then(() => rotate(found, refreshToken)), rotationCodec, steps));
      } catch (error) {
        if (isGatewayError(error) && SESSION_ENDING_CODES.has(error.code)) {
          await Promise.all([removeSession(id, found.record), forgetIdentityContext(found.record.token)]);
          clearCookie();
          logger.info({ clientId: found.record.token.clientId, code: error.code }, "session ended: its refresh token was refused");
          count("ended");
        } else if (isGatewayError(error) && error.code === "UNAUTHENTICATED") {
          // A sign-out ended the session while its refresh ran (rotate undid the rotation).
          clearCookie();
        }
        throw error;
      }
      setSessionCookie({ id: successor.id, absoluteExpiresAt: successor.record.absoluteExpiresAt });
      return viewOf(successor);
    },

    async signOut() {
      const id = heldId;
      if (id === undefined) {
        clearCookie();
        return false;
      }
      // The cookie goes only once the session is gone: a sign-out the store could not record fails, and the user can retry it.
      const ended = (await end(id)) !== undefined;
      clearCookie();
      if (ended) count("signed_out");
      return ended;
    },

    async signOutEverywhere() {
      const { id, found } = await liveSession();
      const { subject, token } = found.record;
      if (subject !== null) {
        const at = now();
        // The user's other sessions' identity contexts too (other browsers may have been shown their ID tokens): no session is visited to forget them one by one.
        await Promise.all([sessions.markSignedOutEverywhere(token.clientId, subject, at, absoluteLifetimeMs + CLOCK_SLACK_MS), identityContexts?.forgetUser(token.clientId, subject, at)]);
      }
      await end(id);
      clearCookie();
      logger.info({ clientId: token.clientId, everywhere: subject !== null }, "signed out everywhere");
      count(subject !== null ? "signed_out_everywhere" : "signed_out");
      return subject !== null;
    },
  };
}

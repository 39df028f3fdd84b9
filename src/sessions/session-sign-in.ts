import type { CookieSessionConfig } from "../config/config.types.js";
import { isGatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import { decodeIdTokenClaims } from "../tokens/id-token-claims.js";
import type { IssuedToken, MaybePromise, RequestCaller } from "../tokens/token.types.js";
import type { FoundSession } from "./rotation-saving.js";
import { newSessionId } from "./session-id.js";
import { absoluteExpiryOf, type LiveSessionRecord } from "./session-record.js";
import type { SessionStore } from "./session-store.js";
import type { SessionView } from "./session.types.js";
import type { AskedSignIn, SessionsWithoutSubject } from "./sessions-without-subject.js";
import { saveWithRetries } from "./sign-in-save-retries.js";
import type { SlotPlacement } from "./slot-placement.js";

/** One request's side of a sign-in: who sends it, the session it holds now, and its cookie. */
export interface SignInRequest {
  caller: RequestCaller | undefined;
  /** The session the request holds now (its cookie's, or one an earlier field started): ended before the exchange. */
  heldId(): string | undefined;
  setSessionCookie(view: { id: string; absoluteExpiresAt: number }): void;
}

export type SessionSignIn = (request: SignInRequest, exchange: () => MaybePromise<IssuedToken>, asked: AskedSignIn) => Promise<{ token: IssuedToken; session: SessionView }>;

/**
 * A sign-in: the checks that must pass before its exchange spends a grant (the caller's allowances,
 * the store answering), the exchange, and the new session it starts (a new id always: no session
 * fixation), placed in one of its user's slots (SESSION_MAX_PER_USER) when it has a user.
 */
export function createSessionSignIn(deps: {
  config: Pick<CookieSessionConfig, "absoluteLifetimeMs">;
  sessions: Pick<SessionStore, "ping">;
  /** Writes a session (record and idle clock). */
  store: (found: FoundSession) => Promise<void>;
  /** Ends a session as a sign-out does. */
  end: (id: string) => Promise<unknown>;
  placement: SlotPlacement | undefined;
  signInBudget?: { consume(address: string): Promise<void> } | undefined;
  withoutSubject?: SessionsWithoutSubject | undefined;
  viewOf: (found: FoundSession) => SessionView;
  started: () => void;
  logger: Logger;
  now: () => number;
}): SessionSignIn {
  const { config, sessions, placement, logger, now } = deps;

  async function startSession(request: SignInRequest, token: IssuedToken, asked: AskedSignIn): Promise<SessionView> {
    const at = now();
    const subject = decodeIdTokenClaims(token.idToken)?.subject ?? null;
    // A single-use grant's answer kept for a retry (its first request's caller left) was issued before now: a sign-out
    // everywhere in between must end this session too, as it ended every session of the user signed in before it.
    const signedInAt = asked.singleUse === true ? Math.min(at, token.issuedAt) : at;
    // And its absolute lifetime counts from then: counted from the retry, abandoning each retry (the answer kept again
    // for 5 more minutes each time) parked one sign-in for as long as its refresh token lived, then took a full lifetime.
    const absoluteExpiresAt = absoluteExpiryOf(token, signedInAt + config.absoluteLifetimeMs);
    const record: LiveSessionRecord = { state: "live", token, subject, signedInAt, absoluteExpiresAt };
    const unplaced: FoundSession = { id: newSessionId(), record, seenAt: at };
    // A session with a user takes one of the user's slots (SESSION_MAX_PER_USER); one without has none to take.
    // Written again for a few seconds if the store fails now: the exchange spent the caller's grant (sign-in-save-retries.ts).
    const found = subject !== null && placement !== undefined
      ? await placement.storeInSlot(unplaced, { clientId: token.clientId, subject }, absoluteExpiresAt - at)
      : await saveWithRetries(async () => (await deps.store(unplaced), unplaced));
    // Best effort: a counter the store fails to take now is not worth the session the grant paid for.
    if (request.caller !== undefined) await deps.withoutSubject?.record(request.caller.address, subject !== null).catch((error: unknown) => {
      if (!isGatewayError(error) || error.code !== "SESSION_STORE_UNAVAILABLE") throw error;
    });
    request.setSessionCookie({ id: found.id, absoluteExpiresAt: record.absoluteExpiresAt });
    logger.debug({ clientId: token.clientId }, "session started");
    deps.started();
    return deps.viewOf(found);
  }

  return async (request, exchange, asked) => {
    // A session costs the caller one unit of its upstream budget, even when the exchange is answered from the cache: no caller fills the store with sessions for free.
    if (request.caller !== undefined) {
      // Whether the session will have a subject is known only after the exchange: a caller past this allowance is
      // refused before it, and before its budget is spent (a refusal costs one read).
      await deps.withoutSubject?.check(request.caller.address, asked);
      await deps.signInBudget?.consume(request.caller.address);
    }
    // The store must answer before the exchange spends a single-use grant (an authorization code)
    // that a session write failing afterwards would waste. Ending the session this sign-in replaces
    // is that check when there is one.
    const heldId = request.heldId();
    if (heldId !== undefined) await deps.end(heldId);
    else await sessions.ping();
    const token = await exchange();
    return { token, session: await startSession(request, token, asked) };
  };
}

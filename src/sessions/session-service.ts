import type { CookieSessionConfig } from "../config/config.types.js";
import type { FlightSteps, SingleFlight, SingleFlightCodec } from "../coordination/single-flight.js";
import { GatewayError, isGatewayError, type ErrorCode } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import type { IdentityContextRegistry } from "../tokens/identity-context-registry.js";
import type { IssuedToken } from "../tokens/token.types.js";
import { newSessionId } from "./session-id.js";
import { createRotationSaving, unauthenticated, type FoundSession } from "./rotation-saving.js";
import { absoluteExpiryOf, decodeSessionRecord, encodeSessionRecord, recordTtlMs, type LiveSessionRecord } from "./session-record.js";
import type { SessionStore } from "./session-store.js";
import { createRotationNotes } from "./rotation-notes.js";
import { createSessionSignIn } from "./session-sign-in.js";
import { createSlotPlacement } from "./slot-placement.js";
import { sinceRead } from "./session-since-read.js";
import { createUnsavedRotations } from "./unsaved-rotations.js";
import type { SessionsWithoutSubject } from "./sessions-without-subject.js";
import type { UserSessionSlots } from "./user-session-slots.js";
import type { RequestSessionService, SessionRequest, SessionService, SessionView } from "./session.types.js";

export interface SessionServiceDeps {
  config: Pick<CookieSessionConfig, "idleTimeoutMs" | "absoluteLifetimeMs">;
  /** How long a refreshed session's old id still leads to the new one (REFRESH_GRACE_SECONDS); 0: not at all. */
  rotationGraceMs: number;
  /** The longest one rotation (its upstream refresh included) can take: a sign-out's mark on an id outlives it. Default 10 minutes. */
  maxRotationMs?: number;
  sessions: SessionStore;
  /** Concurrent refreshes of one session, in any replica, share one rotation (and one upstream call). */
  flights: SingleFlight;
  logger: Logger;
  now?: () => number;
  metrics?: Pick<GatewayMetrics, "sessions"> | undefined;
  /** The per-caller upstream budget (createRateLimits().callerUpstream): every sign-in spends one unit of it. */
  signInBudget?: { consume(address: string): Promise<void> } | undefined;
  /** The token service's identity contexts: a session signed out takes its tokens' one with it (no credentials from it after). */
  identityContexts?: Pick<IdentityContextRegistry, "forget" | "forgetUser"> | undefined;
  /** SESSION_MAX_PER_USER's slots; undefined: no per-user limit. */
  slots?: UserSessionSlots | undefined;
  /** SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER's counters; undefined: no limit. */
  withoutSubject?: SessionsWithoutSubject | undefined;
}

/** AWS's answers that mean the refresh token will never work again: the session is over. Anything else (UPSTREAM_*, SLOW_DOWN, RATE_LIMITED) keeps it. */
const SESSION_ENDING_CODES: ReadonlySet<ErrorCode> = new Set(["INVALID_GRANT", "EXPIRED_TOKEN"]);
/** A forwarding note leads to a session that may itself have been refreshed within the grace window; more hops than this is not a browser. */
const MAX_FORWARDS = 3;
/** Replicas' clocks differ a little: a sign-out-everywhere marker outlives the sessions it ends by this much. */
const CLOCK_SLACK_MS = 60_000;
const DEFAULT_MAX_ROTATION_MS = 600_000;

/**
 * Cookie sessions (SESSION_MODE=cookie): the token set lives sealed in the store, the browser holds
 * only an unguessable id. A refresh runs through the token service (its single-flight, grace window
 * and reuse detection) inside a flight of its own per session, so two tabs or replicas refreshing
 * at once make one upstream call and get the same new id; the old id forwards to the new one for
 * the grace window. Lifetimes: idle (the `session-seen` key's TTL) and absolute (from sign-in,
 * kept across refreshes, never past the access token when there is no refresh token).
 */
export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { config, sessions, flights, logger } = deps;
  const count = (event: "started" | "refreshed" | "ended" | "signed_out" | "signed_out_everywhere" | "displaced") => deps.metrics?.sessions.inc({ event });
  const now = deps.now ?? Date.now;
  const idleMs = config.idleTimeoutMs;
  // The idle clock is written at most this often per session: a busy page does not write on every operation.
  const seenWriteIntervalMs = Math.min(60_000, Math.floor(idleMs / 10));
  const endedMarkMs = Math.max(deps.maxRotationMs ?? DEFAULT_MAX_ROTATION_MS, deps.rotationGraceMs);

  const rotationCodec: SingleFlightCodec<FoundSession> = {
    encode: (found) => Buffer.from(JSON.stringify({ id: found.id, seenAt: found.seenAt, record: encodeSessionRecord(found.record).toString("utf8") }), "utf8"),
    decode(bytes) {
      const value = JSON.parse(bytes.toString("utf8")) as { id: string; seenAt: number; record: string };
      const record = decodeSessionRecord(Buffer.from(value.record, "utf8"));
      if (record.state !== "live") throw new TypeError("a rotated session's hand-off must hold a live session");
      return { id: value.id, seenAt: value.seenAt, record };
    },
  };

  const unsaved = createUnsavedRotations({ logger, now });

  /**
   * The live session `startId` is or forwards to; undefined when it ended, expired, its user signed
   * out everywhere, or (unless `slotTaken`: a sign-in that took it is ending it) a later sign-in took its
   * slot. `beforeRead` runs for each id of the chain before it is read (a sign-out's mark).
   */
  async function find(startId: string, beforeRead?: (id: string) => Promise<void>, slotTaken = false): Promise<FoundSession | undefined> {
    // A refresh of this session the store failed to take waits here: saved first, the chain below leads to it.
    if (unsaved.size > 0) await unsaved.saveNow(startId);
    let id = startId;
    for (let hop = 0; hop <= MAX_FORWARDS; hop += 1) {
      await beforeRead?.(id);
      const stored = await sessions.read(id);
      if (stored === undefined) return undefined;
      const { record, seenAt } = stored;
      if (record.state === "rotated") {
        if (record.forwardUntil <= now()) return undefined;
        id = record.successorId;
        continue;
      }
      const at = now();
      if (seenAt === undefined || at - seenAt >= idleMs || at >= record.absoluteExpiresAt) return undefined;
      if (record.subject !== null) {
        const user = { clientId: record.token.clientId, subject: record.subject };
        // Both in one round trip: signed out everywhere since this sign-in, or displaced by a later one past SESSION_MAX_PER_USER.
        const [signedOutAt, holdsSlot] = await Promise.all([
          sessions.signedOutEverywhereAt(user.clientId, user.subject),
          record.slot === undefined || deps.slots === undefined || slotTaken ? true : deps.slots.holds(user, record.slot.index, record.slot.lineage),
        ]);
        if ((signedOutAt !== undefined && signedOutAt >= record.signedInAt) || !holdsSlot) {
          // Displaced: whoever finds it first ends it as a sign-out would. A take-over removes the sign-in from
          // its slot before it ends the session, and a lookup in between (its own page, another sign-in)
          // that only removed the record left its identity context making AWS credentials (a review).
          await Promise.all([removeSession(id, record), holdsSlot ? undefined : forgetIdentityContext(record.token)]);
          if (!holdsSlot) {
            logger.info({ clientId: user.clientId, limit: deps.slots?.limit }, "session ended: its user signed in past SESSION_MAX_PER_USER");
            count("displaced");
          }
          return undefined;
        }
      }
      return { id, record, seenAt, stored };
    }
    return undefined;
  }

  /** Renews the idle clock (at most every seenWriteIntervalMs) and answers the session as callers see it. */
  async function use(found: FoundSession): Promise<SessionView> {
    const at = now();
    let { seenAt } = found;
    if (at - seenAt >= seenWriteIntervalMs) {
      if (found.stored === undefined) await sessions.markSeen(found.id, at, idleMs);
      else await sessions.renew(found.id, found.stored, at, idleMs, recordTtlMs(found.record, at, idleMs));
      seenAt = at;
    }
    return viewOf({ ...found, seenAt });
  }

  function viewOf(found: FoundSession): SessionView {
    const { record } = found;
    return {
      clientId: record.token.clientId,
      subject: record.subject,
      signedInAt: record.signedInAt,
      idleExpiresAt: Math.min(found.seenAt + idleMs, record.absoluteExpiresAt),
      absoluteExpiresAt: record.absoluteExpiresAt,
      token: record.token,
    };
  }

  async function store(found: FoundSession): Promise<void> {
    await Promise.all([
      sessions.write(found.id, found.record, recordTtlMs(found.record, found.seenAt, idleMs)),
      sessions.markSeen(found.id, found.seenAt, idleMs),
    ]);
  }

  /**
   * Ends the session `requestId` is or forwards to. Each id of the chain is marked ended before it is
   * read: a refresh rotating it meanwhile either wrote its forwarding note before the read (which
   * then follows it to the successor and ends that too) or reads the mark after its writes and undoes
   * its rotation (rotate below). Without the mark, a sign-out racing a refresh in another tab or
   * replica came back to life as the refresh's successor. `slotTaken`: a sign-in took the session's
   * slot and ends it (a lookup would only remove it, its identity context kept). `unseen`: no page
   * ever saw the session (its sign-in's answer reached nobody), so its identity context, which the
   * retry's session holds too, is not forgotten.
   */
  async function end(requestId: string, slotTaken = false, unseen = false): Promise<FoundSession | undefined> {
    const chain: string[] = [];
    const found = await find(requestId, (id) => {
      chain.push(id);
      return sessions.markEnded(id, endedMarkMs);
    }, slotTaken);
    await Promise.all(chain.map((id) => sessions.remove(id)));
    if (found !== undefined) {
      const { record } = found;
      await Promise.all([
        record.rotatedFrom !== undefined && !chain.includes(record.rotatedFrom.id) ? removeNoteLeadingTo(found.id, record) : undefined,
        unseen ? undefined : forgetIdentityContext(record.token),
        record.slot !== undefined && record.subject !== null ? deps.slots?.release({ clientId: record.token.clientId, subject: record.subject }, record.slot.index, record.slot.lineage) : undefined,
      ]);
    }
    return found;
  }

  /**
   * A page shown the ID token (SESSION_EXPOSE=idToken) holds the identity context it carries: after
   * the session ends, assumeRoleWithIdentityContext must not make credentials from it (an attacker
   * review got credentials after signOut, with no cookie).
   */
  async function forgetIdentityContext(token: IssuedToken): Promise<void> {
    const identityContext = token.awsAdditionalDetails?.identityContext;
    if (identityContext !== undefined) await deps.identityContexts?.forget(identityContext);
  }

  const { confirmRotation, removeNoteLeadingTo, removeSession } = createRotationNotes({ sessions, rotationGraceMs: deps.rotationGraceMs, idleMs, now });

  const placement = deps.slots === undefined ? undefined : createSlotPlacement({
    slots: deps.slots, store, find, end, logger, remove: (id) => sessions.remove(id),
    displaced: () => count("displaced"),
  });

  const signIn = createSessionSignIn({
    config, sessions, store, end, placement, signInBudget: deps.signInBudget, withoutSubject: deps.withoutSubject, viewOf,
    started: () => count("started"), logger, now,
  });

  const { saveRotation, saveLateRotation } = createRotationSaving({
    sessions, slots: deps.slots, rotationGraceMs: deps.rotationGraceMs, idleMs, now, store, forgetIdentityContext,
  });

  return {
    forRequest(request: SessionRequest): RequestSessionService {
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
          await saveRotation(found.id, successor, deps.rotationGraceMs === 0 ? 0 : Math.max(deps.rotationGraceMs, recordTtlMs(record, at, idleMs)));
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
            await Promise.all([sessions.markSignedOutEverywhere(token.clientId, subject, at, config.absoluteLifetimeMs + CLOCK_SLACK_MS), deps.identityContexts?.forgetUser(token.clientId, subject, at)]);
          }
          await end(id);
          clearCookie();
          logger.info({ clientId: token.clientId, everywhere: subject !== null }, "signed out everywhere");
          count(subject !== null ? "signed_out_everywhere" : "signed_out");
          return subject !== null;
        },
      };
    },
  };
}

import type { CookieSessionConfig } from "../config/config.types.js";
import type { SingleFlight, SingleFlightCodec } from "../coordination/single-flight.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import type { IdentityContextRegistry } from "../tokens/identity-context-registry.js";
import type { IssuedToken } from "../tokens/token.types.js";
import { createRotationSaving, type FoundSession } from "./rotation-saving.js";
import { decodeSessionRecord, encodeSessionRecord, recordTtlMs } from "./session-record.js";
import type { SessionStore } from "./session-store.js";
import { createRotationNotes } from "./rotation-notes.js";
import { createRequestSession, type SessionEvent, type SessionOperations } from "./request-session.js";
import { createSessionSignIn } from "./session-sign-in.js";
import { createSlotPlacement } from "./slot-placement.js";
import { createUnsavedRotations } from "./unsaved-rotations.js";
import type { SessionsWithoutSubject } from "./sessions-without-subject.js";
import type { UserSessionSlots } from "./user-session-slots.js";
import type { SessionService, SessionView } from "./session.types.js";

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

/** A forwarding note leads to a session that may itself have been refreshed within the grace window; more hops than this is not a browser. */
const MAX_FORWARDS = 3;
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
  const count = (event: SessionEvent) => deps.metrics?.sessions.inc({ event });
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
  async function find(startId: string, beforeRead?: (id: string) => Promise<void>, slotTaken = false, unseen: boolean | IssuedToken = false): Promise<FoundSession | undefined> {
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
          await Promise.all([removeSession(id, record), holdsSlot || keepsIdentityContext(unseen, record.token) ? undefined : forgetIdentityContext(record.token)]);
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
   * retry's session holds too, is not forgotten; or the tokens of the sign-in ending it: a session
   * holding the same identity context (two requests that shared one call, say a browser's retry that
   * joined its abandoned sign-in's) leaves it to the new session, which forgetting it broke (SESSION_MAX_PER_USER=1).
   */
  async function end(requestId: string, slotTaken = false, unseen: boolean | IssuedToken = false): Promise<FoundSession | undefined> {
    const chain: string[] = [];
    const found = await find(requestId, (id) => {
      chain.push(id);
      return sessions.markEnded(id, endedMarkMs);
    }, slotTaken, unseen);
    await Promise.all(chain.map((id) => sessions.remove(id)));
    if (found !== undefined) {
      const { record } = found;
      await Promise.all([
        record.rotatedFrom !== undefined && !chain.includes(record.rotatedFrom.id) ? removeNoteLeadingTo(found.id, record) : undefined,
        keepsIdentityContext(unseen, record.token) ? undefined : forgetIdentityContext(record.token),
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

  /** Whether ending a session holding `token` leaves its identity context: no page saw it, or the session ending it holds the same one. */
  function keepsIdentityContext(unseen: boolean | IssuedToken, token: IssuedToken): boolean {
    if (typeof unseen === "boolean") return unseen;
    const identityContext = unseen.awsAdditionalDetails?.identityContext;
    return identityContext !== undefined && identityContext === token.awsAdditionalDetails?.identityContext;
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

  const operations: SessionOperations = {
    absoluteLifetimeMs: config.absoluteLifetimeMs, rotationGraceMs: deps.rotationGraceMs, idleMs, sessions, flights, rotationCodec, unsaved,
    identityContexts: deps.identityContexts, signIn, find: (id) => find(id), end, use, viewOf, forgetIdentityContext, confirmRotation, removeSession,
    saveRotation, saveLateRotation, count, logger, now,
  };
  return {
    forRequest: (request) => createRequestSession(operations, request),
  };
}

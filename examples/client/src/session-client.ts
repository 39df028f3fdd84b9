/**
 * The session client for the gateway's session mode (SESSION_MODE=cookie): the browser holds only
 * the HttpOnly cookie `__Host-idc_session`; this client holds what the gateway says about that
 * session (who, until when), never a token.
 *
 * - Every request: `credentials: "include"` and `x-idc-csrf: 1` (session-client-request.ts).
 * - Refreshes AHEAD of `expiresAt` (by `refreshSkewMs`) with `refreshSession`, which renews the
 *   tokens on the server and rotates the cookie. Concurrent callers in one tab share one refresh.
 * - One tab refreshes at a time: under a Web Lock; a tab that finds the lock taken waits for the
 *   holder's news on the BroadcastChannel, and one that gets the lock after another tab refreshed
 *   the same session asks the gateway (the cookie is shared) instead of refreshing again. Without
 *   Web Locks, a tab that heard another announce its refresh waits for its news; tabs that start
 *   in the same instant both send refreshSession, and the gateway answers them with one upstream call.
 * - Other tabs are told what happened ("updated, expires at …", "ended"), never a secret.
 * - Errors by `extensions.code`: UNAUTHENTICATED, INVALID_GRANT and EXPIRED_TOKEN end the session
 *   (in every tab); throttling, upstream and network failures are retried with jittered backoff.
 */
import { retryDelayMs } from "./error-policy.js";
import { executeOperation, GatewayRequestError, type FetchLike } from "./gateway-request.js";
import {
  CurrentSessionDocument,
  RefreshSessionDocument,
  SignInSessionDocument,
  SignOutDocument,
  SignOutEverywhereDocument,
  type CreateTokenWithIamInput,
  type SessionStateFragment,
  type TypedDocumentString,
} from "./generated/graphql.js";
import { SessionTabChannel, type SessionEndReason, type SessionTabMessage } from "./session-client-channel.js";
import type { SessionClient, SessionClientState } from "./session-client-types.js";
import { getValidSessionClientSettings, SESSION_CLIENT_DEFAULTS, type SessionClientOptions, type SessionClientSettings } from "./session-client-options.js";
import { credentialedFetch, sessionActionForErrorCode, sessionRequestOptions } from "./session-client-request.js";
import { defaultBroadcastChannelFactory } from "./tab-channel.js";
import { clockOffsetOf, sessionRefreshDueAt } from "./token-clock.js";
import { defaultLockManager, type LockManagerLike } from "./web-locks.js";

export function createSessionClient(options: SessionClientOptions): SessionClient {
  return new CookieSessionClient(options);
}

/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

const sessionEnded = () => new GatewayRequestError("UNAUTHENTICATED", "the session ended: sign in again", undefined);

/** True when `expiresAt` is later than `basis` (the expiry a refresh started from; "" when none was known). */
function isLater(expiresAt: string | null, basis: string): boolean {
  return expiresAt !== null && (basis === "" || Date.parse(expiresAt) > Date.parse(basis));
}

class CookieSessionClient implements SessionClient {
  readonly tabId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  private current: SessionClientState = { status: "signed-out", reason: "initial" };
  private inFlight: Promise<SessionStateFragment> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(state: SessionClientState) => void>();
  private readonly waiters = new Set<() => void>();
  private readonly settings: SessionClientSettings;
  private readonly fetchImpl: FetchLike;
  private readonly channel: SessionTabChannel | undefined;
  private readonly locks: LockManagerLike | undefined;
  private readonly now: () => number;
  private closed = false;
  /** Bumped when a session starts or ends here: the answer to a request sent before must not bring the old one back. */
  private epoch = 0;
  /** Browser clock minus the gateway's (ms), learned from the last session the gateway answered; 0 until then. */
  private clockOffsetMs = 0;

  constructor(private readonly options: SessionClientOptions) {
    this.settings = getValidSessionClientSettings(options);
    this.fetchImpl = credentialedFetch(options.fetch);
    this.now = options.now ?? Date.now;
    this.locks = options.locks === null ? undefined : (options.locks ?? defaultLockManager());
    const factory = options.broadcastChannel ?? defaultBroadcastChannelFactory();
    const name = this.settings.channelName;
    this.channel = name !== null && factory ? new SessionTabChannel(name, factory, this.tabId, (m) => this.onTabMessage(m)) : undefined;
  }

  get state(): SessionClientState {
    return this.current;
  }

  private get held(): SessionStateFragment | undefined {
    return this.current.status === "signed-out" ? undefined : this.current.session;
  }

  subscribe(listener: (state: SessionClientState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signIn(input: CreateTokenWithIamInput): Promise<SessionStateFragment> {
    this.epoch += 1;
    await this.request(SignInSessionDocument, { input });
    const session = await this.readSession();
    if (!session) {
      throw new GatewayRequestError("UNAUTHENTICATED", "signed in, but the gateway knows no session for this client: does it run with SESSION_MODE=cookie, and does the fetch keep cookies?", undefined);
    }
    this.adopt(session, { announce: true, fresh: true });
    return session;
  }

  async session(): Promise<SessionStateFragment | undefined> {
    const epoch = this.epoch;
    const session = await this.readSession();
    if (epoch !== this.epoch || this.closed) return session;
    if (session) this.adopt(session, { announce: false, fresh: true });
    else this.end("unauthenticated", { announce: this.held !== undefined });
    return session;
  }

  refresh(): Promise<SessionStateFragment> {
    if (!this.inFlight) {
      const basis = this.held?.expiresAt ?? "";
      this.inFlight = this.coordinatedRefresh(basis).finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  async signOut(): Promise<boolean> {
    const { signOut } = await this.request(SignOutDocument, {});
    this.end("sign-out", { announce: true });
    return signOut;
  }

  async signOutEverywhere(): Promise<boolean> {
    try {
      const { signOutEverywhere } = await this.request(SignOutEverywhereDocument, {});
      this.end("sign-out", { announce: true });
      return signOutEverywhere;
    } catch (error) {
      if (error instanceof GatewayRequestError && error.code === "UNAUTHENTICATED") this.end("unauthenticated", { announce: true });
      throw error;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.channel?.close();
    for (const wake of this.waiters) wake();
  }

  /** Web Locks: whoever holds the lock refreshes; a tab finding it taken waits for the holder's news, then queues for it. */
  private async coordinatedRefresh(basis: string): Promise<SessionStateFragment> {
    if (!this.locks) {
      if (this.channel?.heardRefreshing(basis)) {
        const adopted = await this.waitForSessionLaterThan(basis, this.settings.followerTimeoutMs);
        if (adopted) return adopted;
      }
      return this.refreshHolding(basis);
    }
    const lockName = `${this.settings.channelName ?? SESSION_CLIENT_DEFAULTS.channelName}:refresh`;
    const first = await this.locks.request(lockName, { ifAvailable: true }, (lock) => (lock ? this.refreshHolding(basis) : undefined));
    if (first) return first;
    const adopted = await this.waitForSessionLaterThan(basis, this.settings.followerTimeoutMs);
    if (adopted) return adopted;
    return this.locks.request(lockName, () => this.refreshHolding(basis));
  }

  /** Runs while this tab may refresh (holding the lock, or without locks). */
  private async refreshHolding(basis: string): Promise<SessionStateFragment> {
    const held = this.held;
    if (held && isLater(held.expiresAt, basis)) return held; // another tab's news arrived while this one queued
    if (this.current.status === "signed-out" && this.current.reason !== "initial") throw sessionEnded();
    if (this.channel?.heardRefreshing(basis)) {
      // Another tab refreshed this very session while this one queued, and its news is still on the
      // way: the cookie is shared, so the gateway already answers with the refreshed session.
      const session = await this.session();
      if (!session) throw sessionEnded();
      if (isLater(session.expiresAt, basis)) return session;
    }
    this.channel?.send({ type: "session-refreshing", basis });
    return this.refreshNow();
  }

  /** The refreshSession mutation, retried with backoff for transient codes. */
  private async refreshNow(): Promise<SessionStateFragment> {
    const epoch = this.epoch;
    for (let attempt = 0; ; attempt++) {
      let failure: GatewayRequestError;
      try {
        const { refreshSession } = await this.request(RefreshSessionDocument, {});
        if (epoch !== this.epoch) return this.heldOrThrow();
        this.adopt(refreshSession, { announce: true, fresh: true });
        return refreshSession;
      } catch (error) {
        failure = error instanceof GatewayRequestError ? error : new GatewayRequestError("INTERNAL_SERVER_ERROR", String(error), undefined);
      }
      if (epoch !== this.epoch) throw failure;
      const action = sessionActionForErrorCode(failure.code);
      if (action === "sign-out") {
        this.end(failure.code === "UNAUTHENTICATED" ? "unauthenticated" : "invalid-grant", { announce: true });
        throw failure;
      }
      if (action === "fail" || attempt + 1 >= this.settings.maxAttempts || this.closed) {
        const held = this.held;
        if (held) this.setState({ status: "error", session: held, error: failure });
        throw failure;
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(failure.extensions, attempt, this.options.backoff)));
    }
  }

  private onTabMessage(message: SessionTabMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case "session-updated": {
        const held = this.held;
        const { signedInAt, expiresAt, idleExpiresAt, absoluteExpiresAt } = message;
        if (held && held.signedInAt === signedInAt) {
          if (isLater(expiresAt, held.expiresAt ?? "")) this.adopt({ ...held, expiresAt, idleExpiresAt, absoluteExpiresAt }, { announce: false, fresh: false });
        } else {
          // A new sign-in (maybe of another user): what this tab holds is stale; the shared cookie tells the rest.
          void this.session().catch(() => undefined);
        }
        return;
      }
      case "session-ended":
        this.end(message.reason, { announce: false });
        return;
      case "session-refreshing":
        return; // remembered by the channel; read when this tab wants to refresh
    }
  }

  /** `fresh`: just answered by the gateway, so its secondsRemaining is current (another tab's news is not). */
  private adopt(session: SessionStateFragment, { announce, fresh }: { announce: boolean; fresh: boolean }): void {
    const offset = fresh ? clockOffsetOf(session, this.now()) : undefined;
    if (offset !== undefined) this.clockOffsetMs = offset;
    this.setState({ status: "signed-in", session });
    if (announce) {
      const { signedInAt, expiresAt, idleExpiresAt, absoluteExpiresAt } = session;
      this.channel?.send({ type: "session-updated", signedInAt, expiresAt, idleExpiresAt, absoluteExpiresAt });
    }
    this.scheduleRefresh(session);
  }

  private end(reason: SessionEndReason, { announce }: { announce: boolean }): void {
    this.epoch += 1;
    clearTimeout(this.timer);
    this.setState({ status: "signed-out", reason });
    if (announce) this.channel?.send({ type: "session-ended", reason });
  }

  private scheduleRefresh(session: SessionStateFragment): void {
    clearTimeout(this.timer);
    if (this.closed || !session.canRefresh || !session.expiresAt) return;
    // expiresAt is on the gateway's clock; counted on the browser's with the offset learned from its answers.
    const dueAt = sessionRefreshDueAt(session.expiresAt, this.clockOffsetMs, this.settings.refreshSkewMs, this.now());
    if (dueAt === undefined) return;
    const dueInMs = Math.min(MAX_TIMER_MS, Math.max(0, dueAt - this.now()));
    // Failures are already in the state (and told to the other tabs); the timer has no caller to throw to.
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), dueInMs);
  }

  private heldOrThrow(): SessionStateFragment {
    const held = this.held;
    if (!held) throw sessionEnded();
    return held;
  }

  /**
   * Resolves with the held session once it expires later than `basis`; undefined after `timeoutMs`,
   * when the session ends or a refresh here failed, or on close.
   */
  private waitForSessionLaterThan(basis: string, timeoutMs: number): Promise<SessionStateFragment | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.current.status !== "signed-in" || this.closed) return finish(undefined);
        if (isLater(this.current.session.expiresAt, basis)) finish(this.current.session);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (session: SessionStateFragment | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(session);
      };
      this.waiters.add(check);
      check();
    });
  }

  private setState(state: SessionClientState): void {
    this.current = state;
    for (const wake of [...this.waiters]) wake();
    for (const listener of this.listeners) listener(state);
  }

  private async readSession(): Promise<SessionStateFragment | undefined> {
    const { session } = await this.request(CurrentSessionDocument, {});
    return session.authenticated ? session : undefined;
  }

  private request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    return executeOperation(sessionRequestOptions(this.options, this.fetchImpl, this.settings.requestTimeoutMs), document, variables);
  }
}

/**
 * TokenManager: holds the current CreateTokenWithIAMResponse of one user session and keeps it
 * fresh through the gateway.
 *
 * - Refreshes AHEAD of `expiresAt` (by `refreshSkewMs`), so requests never carry an expired token.
 * - One refresh at a time per tab: concurrent callers share one in-flight promise.
 * - One refresh at a time across tabs: over a BroadcastChannel the tabs elect one refresher (and
 *   take a Web Lock when the platform has them); the others adopt the tokens it broadcasts. This
 *   matters because Identity Center may rotate refresh tokens: a second refresh with the old one
 *   would fail and sign the user out.
 * - Errors by `extensions.code` (error-policy.ts): INVALID_GRANT signs out (in every tab);
 *   throttling and upstream faults are retried with jittered exponential backoff.
 */
import { requestOptionsOf } from "./client-options.js";
import { actionForErrorCode, retryDelayMs } from "./error-policy.js";
import { executeOperation, GatewayRequestError, type GatewayRequestOptions } from "./gateway-request.js";
import {
  ExchangeTokenDocument,
  RefreshTokensDocument,
  type CreateTokenWithIamInput,
  type TokenSetFragment,
} from "./generated/graphql.js";
import { clockOffsetOf, refreshDueAt } from "./token-clock.js";
import { defaultBroadcastChannelFactory, TabChannel, winsElection, type TabMessage, type TokensCause } from "./tab-channel.js";
import { DEFAULTS, getValidSettings, type TokenManagerOptions, type TokenManagerSettings } from "./token-manager-options.js";
import { defaultLockManager, type LockManagerLike } from "./web-locks.js";

export type TokenManagerState =
  | { status: "signed-out"; reason: "initial" | "sign-out" | "invalid-grant" }
  | { status: "signed-in"; tokens: TokenSetFragment }
  | { status: "error"; tokens: TokenSetFragment; error: GatewayRequestError };

/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A token set must at least say when it was issued (every tab orders sets by it): anything else is no token set. */
function checkTokenSet(tokens: TokenSetFragment | null | undefined): asserts tokens is TokenSetFragment {
  if (tokens === null || typeof tokens !== "object" || typeof tokens.issuedAt !== "string") {
    throw new GatewayRequestError("BAD_RESPONSE", "the gateway answered without a token set", undefined);
  }
}

export class SignedOutError extends Error {
  constructor() {
    super("no tokens: the user is signed out");
    this.name = "SignedOutError";
  }
}

export class TokenManager {
  readonly tabId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  private current: TokenManagerState = { status: "signed-out", reason: "initial" };
  private inFlight: Promise<TokenSetFragment> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(state: TokenManagerState) => void>();
  private readonly waiters = new Set<() => void>();
  private readonly channel: TabChannel | undefined;
  private readonly locks: LockManagerLike | undefined;
  private readonly settings: TokenManagerSettings;
  private readonly now: () => number;
  private closed = false;
  /**
   * Bumped whenever the held session is replaced other than by its own refresh (sign-in, setTokens,
   * sign-out, INVALID_GRANT, another tab's news): a refresh answered after that belongs to a session
   * that is gone, and must neither bring it back nor end the one held now.
   */
  private epoch = 0;
  /** Browser clock minus the gateway's (ms), learned from the last set the gateway answered; 0 until then. */
  private clockOffsetMs = 0;

  constructor(private readonly options: TokenManagerOptions) {
    this.settings = getValidSettings(options);
    this.now = options.now ?? Date.now;
    this.locks = options.locks === null ? undefined : (options.locks ?? defaultLockManager());
    const factory = options.broadcastChannel ?? defaultBroadcastChannelFactory();
    const name = options.channelName === undefined ? DEFAULTS.channelName : options.channelName;
    this.channel = name !== null && factory ? new TabChannel(name, factory, this.tabId, (m) => this.onTabMessage(m), this.now) : undefined;
  }

  get state(): TokenManagerState {
    return this.current;
  }

  get tokens(): TokenSetFragment | undefined {
    return this.current.status === "signed-out" ? undefined : this.current.tokens;
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  subscribe(listener: (state: TokenManagerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs createTokenWithIAM (any grant) and holds the result; every tab receives it. */
  async signIn(input: CreateTokenWithIamInput): Promise<TokenSetFragment> {
    const data = await executeOperation(this.requestOptions(), ExchangeTokenDocument, { input });
    checkTokenSet(data.createTokenWithIAM);
    this.adopt(data.createTokenWithIAM, { broadcast: true, cause: "sign-in", fresh: true });
    return data.createTokenWithIAM;
  }

  /** Holds tokens obtained elsewhere (e.g. restored by the app); does not broadcast them. */
  setTokens(tokens: TokenSetFragment): void {
    this.adopt(tokens, { broadcast: false, cause: "sign-in", fresh: false });
  }

  /**
   * The access token, refreshed first when it is within the skew of expiring. When that refresh fails
   * without ending the session (the gateway down, throttling …) and the held token has not expired
   * yet, it is served: the failure is in the state, and the app's calls work meanwhile.
   */
  async getAccessToken(): Promise<string> {
    const tokens = this.tokens;
    if (!tokens) throw new SignedOutError();
    let fresh: TokenSetFragment;
    try {
      fresh = this.isFresh(tokens) ? tokens : await this.refresh();
    } catch (error) {
      const held = this.current.status === "error" ? this.current.tokens : undefined;
      if (held?.issuedAt === tokens.issuedAt && held.accessToken && !this.hasExpired(held)) return held.accessToken;
      throw error;
    }
    if (!fresh.accessToken) throw new SignedOutError();
    return fresh.accessToken;
  }

  /**
   * Refreshes now (coordinated with other tabs). Concurrent calls share one promise, which also
   * settles as soon as another tab delivers newer tokens, so a slow request here never holds it up.
   */
  refresh(): Promise<TokenSetFragment> {
    if (!this.inFlight) {
      const basis = this.tokens?.issuedAt;
      const refreshing = this.coordinatedRefresh();
      const adoptedFromAnotherTab = basis === undefined ? undefined : this.waitForTokensNewerThan(basis, undefined);
      const first = adoptedFromAnotherTab
        ? Promise.race([refreshing, adoptedFromAnotherTab.then((tokens) => tokens ?? refreshing)])
        : refreshing;
      refreshing.catch(() => undefined); // when adoption wins the race, a later failure has no one to tell
      this.inFlight = first.finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** Drops the tokens here and in every tab. */
  signOut(): void {
    this.dropTokens("sign-out", { broadcast: true });
  }

  /** Stops the refresh timer and leaves the channel. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.channel?.close();
    for (const wake of this.waiters) wake();
  }

  private async coordinatedRefresh(): Promise<TokenSetFragment> {
    const tokens = this.tokens;
    if (!tokens?.refreshToken) throw new SignedOutError();
    const basis = tokens.issuedAt;
    if (!this.channel) return this.refreshNow(tokens);

    // Another tab already announced a refresh of this very set: wait for its result.
    if (this.channel.intentsFor(basis, this.settings.followerTimeoutMs).length > 0) {
      const adopted = await this.waitForTokensNewerThan(basis, this.settings.followerTimeoutMs);
      if (adopted) return adopted;
    }
    if (this.locks) return this.refreshUnderLock(basis);

    // Election without locks: announce, listen for a window, the smallest tab id refreshes.
    this.channel.send({ type: "refresh-intent", basis });
    const adoptedDuringWindow = await this.waitForTokensNewerThan(basis, this.settings.electionWindowMs);
    if (adoptedDuringWindow) return adoptedDuringWindow;
    if (!winsElection(this.tabId, this.channel.intentsFor(basis, this.settings.followerTimeoutMs))) {
      const adopted = await this.waitForTokensNewerThan(basis, this.settings.followerTimeoutMs);
      if (adopted) return adopted;
    }
    return this.refreshNow(this.tokensOrThrow());
  }

  /** Web Locks: whoever holds the lock refreshes; a tab finding it taken waits for the holder's tokens. */
  private async refreshUnderLock(basis: string): Promise<TokenSetFragment> {
    const lockName = `${this.options.channelName ?? DEFAULTS.channelName}:refresh`;
    const underLock = async (lock: { name: string } | null): Promise<TokenSetFragment | undefined> => {
      if (!lock) return undefined;
      const tokens = this.tokensOrThrow();
      if (tokens.issuedAt !== basis) return tokens; // another tab refreshed while we queued
      this.channel?.send({ type: "refresh-intent", basis });
      return this.refreshNow(tokens);
    };
    const result = await this.locks!.request(lockName, { ifAvailable: true }, underLock);
    if (result) return result;
    const adopted = await this.waitForTokensNewerThan(basis, this.settings.followerTimeoutMs);
    if (adopted) return adopted;
    return (await this.locks!.request(lockName, underLock))!;
  }

  /** The refresh mutation itself, retried with backoff for transient codes. */
  private async refreshNow(tokens: TokenSetFragment): Promise<TokenSetFragment> {
    const input = { refreshToken: tokens.refreshToken!, ...(this.options.clientId ? { clientId: this.options.clientId } : {}) };
    const epoch = this.epoch;
    for (let attempt = 0; ; attempt++) {
      try {
        const data = await executeOperation(this.requestOptions(), RefreshTokensDocument, { input });
        checkTokenSet(data.refreshToken);
        // Signed out (or in anew) while the request was on its way: its answer is for a session that is gone.
        if (epoch !== this.epoch) return this.tokensOrThrow();
        this.adopt(data.refreshToken, { broadcast: true, cause: "refresh", fresh: true });
        return data.refreshToken;
      } catch (error) {
        const failure = error instanceof GatewayRequestError ? error : new GatewayRequestError("INTERNAL_SERVER_ERROR", String(error), undefined);
        if (epoch !== this.epoch) throw failure; // the old session's failure says nothing about the one held now
        const action = actionForErrorCode(failure.code);
        if (action === "sign-out") {
          this.dropTokens("invalid-grant", { broadcast: true });
          throw failure;
        }
        if (action === "fail" || attempt + 1 >= this.settings.maxAttempts || this.closed) {
          this.setState({ status: "error", tokens, error: failure });
          throw failure;
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(failure.extensions, attempt, this.options.backoff)));
        if (epoch !== this.epoch) throw failure;
      }
    }
  }

  private onTabMessage(message: TabMessage): void {
    switch (message.type) {
      case "tokens": {
        // A refresh that was under way in that tab when this one signed out must not sign it in again.
        if (message.cause === "refresh" && this.current.status === "signed-out" && this.current.reason !== "initial") return;
        if (!this.tokens || message.tokens.issuedAt > this.tokens.issuedAt) this.adopt(message.tokens, { broadcast: false, cause: message.cause ?? "sign-in", fresh: true });
        return;
      }
      case "signed-out":
        this.dropTokens("sign-out", { broadcast: false });
        return;
      case "refresh-intent":
        return; // recorded by TabChannel; read when this tab wants to refresh
    }
  }

  /** `fresh`: just answered by the gateway (here, or in the tab that broadcast it), so its secondsRemaining is current. */
  private adopt(tokens: TokenSetFragment, { broadcast, cause, fresh }: { broadcast: boolean; cause: TokensCause; fresh: boolean }): void {
    if (cause !== "refresh") this.epoch += 1;
    const offset = fresh ? clockOffsetOf(tokens, this.now()) : undefined;
    if (offset !== undefined) this.clockOffsetMs = offset;
    this.setState({ status: "signed-in", tokens });
    if (broadcast) this.channel?.send({ type: "tokens", tokens, cause });
    this.scheduleRefresh(tokens);
  }

  private dropTokens(reason: "sign-out" | "invalid-grant", { broadcast }: { broadcast: boolean }): void {
    this.epoch += 1;
    clearTimeout(this.timer);
    this.setState({ status: "signed-out", reason });
    if (broadcast) this.channel?.send({ type: "signed-out" });
  }

  private scheduleRefresh(tokens: TokenSetFragment): void {
    clearTimeout(this.timer);
    if (this.closed || !tokens.expiresAt || !tokens.refreshToken) return;
    const dueAt = refreshDueAt(tokens, this.clockOffsetMs, this.settings.refreshSkewMs);
    if (dueAt === undefined) return;
    const dueInMs = Math.min(MAX_TIMER_MS, Math.max(0, dueAt - this.now()));
    // Failures are already in the state (and broadcast); the timer has no caller to throw to.
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), dueInMs);
  }

  private isFresh(tokens: TokenSetFragment): boolean {
    const dueAt = refreshDueAt(tokens, this.clockOffsetMs, this.settings.refreshSkewMs);
    return dueAt === undefined || dueAt > this.now();
  }

  /** True once the access token's expiry (gateway clock, counted on the browser's) has passed; unknown expiry: never. */
  private hasExpired(tokens: TokenSetFragment): boolean {
    const expiresAt = tokens.expiresAt === null ? NaN : Date.parse(tokens.expiresAt);
    return !Number.isNaN(expiresAt) && expiresAt + this.clockOffsetMs <= this.now();
  }

  private tokensOrThrow(): TokenSetFragment {
    const tokens = this.tokens;
    if (!tokens?.refreshToken) throw new SignedOutError();
    return tokens;
  }

  /**
   * Resolves with the held tokens once they were issued after `basis`; undefined after `timeoutMs`
   * (never, when undefined), on sign-out, on a failed refresh here, or on close.
   */
  private waitForTokensNewerThan(basis: string, timeoutMs: number | undefined): Promise<TokenSetFragment | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const tokens = this.tokens;
        if (this.current.status === "signed-out" || this.current.status === "error") return finish(undefined);
        if (tokens && tokens.issuedAt > basis) return finish(tokens);
        if (this.closed) finish(undefined);
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(undefined), timeoutMs);
      const finish = (tokens: TokenSetFragment | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(tokens);
      };
      this.waiters.add(check);
      check();
    });
  }

  private setState(state: TokenManagerState): void {
    this.current = state;
    for (const wake of [...this.waiters]) wake();
    for (const listener of this.listeners) listener(state);
  }

  private requestOptions(): GatewayRequestOptions {
    return requestOptionsOf(this.options, this.settings.requestTimeoutMs);
  }
}

/**
 * Cross-tab coordination for TokenManager over a BroadcastChannel (browsers; Node >= 18).
 * Tabs of one origin share tokens: whichever tab refreshes tells the others, which adopt the new
 * set instead of refreshing themselves (a rotated refresh token may only be used once).
 *
 * Messages (same-origin only; they carry tokens, exactly as the tabs' own memory does):
 * - `tokens`: a newer token set, from a sign-in or a refresh (`cause`); receivers adopt it when it was
 *   issued after theirs, a refreshed set only while they hold a session (a tab signed out since may
 *   not be signed in again by a refresh that was under way when the user signed out);
 * - `signed-out`: the session ended (sign-out or INVALID_GRANT); receivers drop their tokens;
 * - `refresh-intent`: "I am about to refresh the set issued at `basis`"; see TokenManager's election.
 */
import type { TokenSetFragment } from "./generated/graphql.js";

export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export type TabMessage =
  | { type: "tokens"; from: string; tokens: TokenSetFragment; cause: TokensCause }
  | { type: "signed-out"; from: string }
  | { type: "refresh-intent"; from: string; basis: string };

/** A message as a tab sends it; TabChannel adds `from`. */
export type OutgoingTabMessage = TabMessage extends infer M ? (M extends TabMessage ? Omit<M, "from"> : never) : never;

/** How a tab came by a token set: a new session (sign-in, or tokens the app set) or a refresh of the held one. */
export type TokensCause = "sign-in" | "refresh";

export type BroadcastChannelFactory = (name: string) => BroadcastChannelLike;

/** The platform's BroadcastChannel, or undefined where there is none (then each tab refreshes alone). */
export function defaultBroadcastChannelFactory(): BroadcastChannelFactory | undefined {
  const Channel = (globalThis as unknown as { BroadcastChannel?: new (name: string) => BroadcastChannelLike }).BroadcastChannel;
  return Channel ? (name) => new Channel(name) : undefined;
}

function isTabMessage(data: unknown): data is TabMessage {
  if (data === null || typeof data !== "object") return false;
  const { type, from } = data as { type?: unknown; from?: unknown };
  if (typeof from !== "string") return false;
  return type === "tokens" || type === "signed-out" || type === "refresh-intent";
}

/** Which tab refreshes when several announced an intent for the same set: the smallest id, everywhere alike. */
export function winsElection(ownTabId: string, otherTabIds: Iterable<string>): boolean {
  for (const other of otherTabIds) if (other < ownTabId) return false;
  return true;
}

/** One tab's end of the channel: sends, and records the intents other tabs announced per basis. */
export class TabChannel {
  private readonly channel: BroadcastChannelLike;
  /** basis → ids of other tabs that announced a refresh of it (and when, to forget stale ones). */
  private readonly intents = new Map<string, Map<string, number>>();

  constructor(
    name: string,
    factory: BroadcastChannelFactory,
    readonly tabId: string,
    private readonly onMessage: (message: TabMessage) => void,
    private readonly now: () => number,
  ) {
    this.channel = factory(name);
    this.channel.onmessage = (event) => {
      if (!isTabMessage(event.data) || event.data.from === this.tabId) return;
      if (event.data.type === "refresh-intent") this.recordIntent(event.data.basis, event.data.from);
      this.onMessage(event.data);
    };
  }

  send(message: OutgoingTabMessage): void {
    this.channel.postMessage({ ...message, from: this.tabId });
  }

  /** Tabs other than this one that announced a refresh of `basis` within the last `withinMs`. */
  intentsFor(basis: string, withinMs: number): string[] {
    const byTab = this.intents.get(basis);
    if (!byTab) return [];
    const since = this.now() - withinMs;
    return [...byTab].filter(([, at]) => at >= since).map(([tabId]) => tabId);
  }

  close(): void {
    this.channel.onmessage = null;
    this.channel.close();
    this.intents.clear();
  }

  private recordIntent(basis: string, tabId: string): void {
    // Only the latest few sets matter; older bases can never be refreshed again.
    if (!this.intents.has(basis) && this.intents.size >= 8) this.intents.delete(this.intents.keys().next().value as string);
    const byTab = this.intents.get(basis) ?? new Map<string, number>();
    byTab.set(tabId, this.now());
    this.intents.set(basis, byTab);
  }
}

/**
 * Cross-tab news for the session client over a BroadcastChannel. The tabs of one origin share the
 * session cookie (the browser sends it for all of them), so a tab never needs another tab's secret:
 * the messages say only what happened and when the session now expires.
 *
 * - `refreshing`: "I hold the refresh lock and refresh the session that expires at `basis`";
 * - `updated`: a sign-in or refresh happened; the session (signed in at `signedInAt`) now expires at `expiresAt`;
 * - `ended`: the session is over (signed out here or everywhere, or the gateway no longer knows it).
 */
import type { BroadcastChannelFactory, BroadcastChannelLike } from "./tab-channel.js";

export type SessionEndReason = "sign-out" | "unauthenticated" | "invalid-grant";

export interface SessionTimes {
  signedInAt: string | null;
  expiresAt: string | null;
  idleExpiresAt: string | null;
  absoluteExpiresAt: string | null;
}

export type SessionTabMessage =
  | { type: "session-refreshing"; from: string; basis: string }
  | ({ type: "session-updated"; from: string } & SessionTimes)
  | { type: "session-ended"; from: string; reason: SessionEndReason };

type Outgoing = SessionTabMessage extends infer M ? (M extends SessionTabMessage ? Omit<M, "from"> : never) : never;

const MESSAGE_TYPES = new Set(["session-refreshing", "session-updated", "session-ended"]);
/** Only the latest few bases matter: an older session can never be refreshed again. */
const REMEMBERED_BASES = 8;

function isSessionTabMessage(data: unknown): data is SessionTabMessage {
  if (data === null || typeof data !== "object") return false;
  const { type, from } = data as { type?: unknown; from?: unknown };
  return typeof from === "string" && typeof type === "string" && MESSAGE_TYPES.has(type);
}

/** One tab's end of the channel: sends, and remembers which bases other tabs announced refreshing. */
export class SessionTabChannel {
  private readonly channel: BroadcastChannelLike;
  private readonly refreshingBases: string[] = [];

  constructor(name: string, factory: BroadcastChannelFactory, readonly tabId: string, onMessage: (message: SessionTabMessage) => void) {
    this.channel = factory(name);
    this.channel.onmessage = (event) => {
      if (!isSessionTabMessage(event.data) || event.data.from === this.tabId) return;
      if (event.data.type === "session-refreshing") this.remember(event.data.basis);
      onMessage(event.data);
    };
  }

  send(message: Outgoing): void {
    this.channel.postMessage({ ...message, from: this.tabId });
  }

  /** True when another tab announced it was refreshing the session that expires at `basis`. */
  heardRefreshing(basis: string): boolean {
    return this.refreshingBases.includes(basis);
  }

  close(): void {
    this.channel.onmessage = null;
    this.channel.close();
  }

  private remember(basis: string): void {
    if (this.refreshingBases.includes(basis)) return;
    this.refreshingBases.push(basis);
    if (this.refreshingBases.length > REMEMBERED_BASES) this.refreshingBases.shift();
  }
}

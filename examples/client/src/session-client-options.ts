/** The session client's options, their defaults, and their validation (messages restate the contract). */
import { checkEndpoint, withIntegerOptions, type GatewayClientOptions } from "./client-options.js";
import type { FetchLike } from "./gateway-request.js";
import type { BroadcastChannelFactory } from "./tab-channel.js";
import type { LockManagerLike } from "./web-locks.js";

/**
 * The fetch the session client calls: the browser's `fetch`, or a wrapper that keeps cookies where
 * there is no browser (Node's fetch keeps none). Every call carries `credentials: "include"`, so the
 * browser sends the session cookie and stores the one the answer sets, also cross-origin.
 */
export type SessionFetchLike = (input: string, init: Parameters<FetchLike>[1] & { credentials: "include" }) => ReturnType<FetchLike>;

/** Also `endpoint`, `headers`, `requestTimeoutMs`, `backoff`, `now` (client-options.ts); `maxAttempts` defaults to 5 here. */
export interface SessionClientOptions extends Omit<GatewayClientOptions, "fetch"> {
  /** Defaults to the global `fetch`. */
  fetch?: SessionFetchLike;
  /** Refresh the session this many ms before its `expiresAt` (default 60 000). */
  refreshSkewMs?: number;
  /** BroadcastChannel name shared by the tabs (default "idc-token-gateway-session"); null: no tab coordination. */
  channelName?: string | null;
  broadcastChannel?: BroadcastChannelFactory;
  /** Web Locks; default navigator.locks when present; null: do not use locks. */
  locks?: LockManagerLike | null;
  /** How long a tab that found the refresh lock taken waits for the holder's news before queueing for the lock itself (default 15 000 ms). */
  followerTimeoutMs?: number;
}

export const SESSION_CLIENT_DEFAULTS = {
  refreshSkewMs: 60_000,
  channelName: "idc-token-gateway-session",
  followerTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  maxAttempts: 5,
};

export type SessionClientSettings = Omit<typeof SESSION_CLIENT_DEFAULTS, "channelName"> & { channelName: string | null };

/** Options checked up front, with messages that restate the contract and show the bad value. */
export function getValidSessionClientSettings(options: SessionClientOptions): SessionClientSettings {
  const owner = "createSessionClient";
  checkEndpoint(owner, options.endpoint);
  const { channelName, fetch } = options;
  if (channelName !== undefined && channelName !== null && (typeof channelName !== "string" || channelName === "")) {
    throw new TypeError(`${owner}: channelName must be a non-empty string, or null for no tab coordination, got ${JSON.stringify(channelName)}`);
  }
  if (fetch !== undefined && typeof fetch !== "function") {
    throw new TypeError(`${owner}: fetch must be a function like the global fetch, got ${typeof fetch}`);
  }
  const { channelName: defaultChannel, ...integers } = SESSION_CLIENT_DEFAULTS;
  return {
    ...withIntegerOptions(owner, integers, options, { maxAttempts: 1 }),
    channelName: channelName === undefined ? defaultChannel : channelName,
  };
}

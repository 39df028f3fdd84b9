/** TokenManager's options, their defaults, and their validation (messages restate the contract). */
import type { BroadcastChannelFactory } from "./tab-channel.js";
import type { LockManagerLike } from "./web-locks.js";
import { checkEndpoint, withIntegerOptions, type GatewayClientOptions } from "./client-options.js";

/** Also `endpoint`, `fetch`, `headers`, `requestTimeoutMs`, `backoff`, `now` (client-options.ts); `maxAttempts` defaults to 5 here. */
export interface TokenManagerOptions extends GatewayClientOptions {
  /** Application ARN sent with refreshes; omitted: the gateway's default application. */
  clientId?: string;
  /** Refresh this many ms before expiresAt (default 60 000). */
  refreshSkewMs?: number;
  /** BroadcastChannel name shared by the tabs (default "idc-token-gateway"); null: no tab coordination. */
  channelName?: string | null;
  broadcastChannel?: BroadcastChannelFactory;
  /** Web Locks; default navigator.locks when present; null: do not use locks. */
  locks?: LockManagerLike | null;
  /** How long a tab listens for competing refresh intents before refreshing (default 100 ms). */
  electionWindowMs?: number;
  /** How long a tab that lost the election waits for the winner's tokens before refreshing itself (default 15 000 ms). */
  followerTimeoutMs?: number;
}

export const DEFAULTS = { refreshSkewMs: 60_000, channelName: "idc-token-gateway", electionWindowMs: 100, followerTimeoutMs: 15_000, requestTimeoutMs: 30_000, maxAttempts: 5 };

export type TokenManagerSettings = typeof DEFAULTS;

/** Options checked up front, with messages that restate the contract and show the bad value. */
export function getValidSettings(options: TokenManagerOptions): TokenManagerSettings {
  checkEndpoint("TokenManager", options.endpoint);
  const { channelName: _name, ...integers } = DEFAULTS;
  return { ...DEFAULTS, ...withIntegerOptions("TokenManager", integers, options, { maxAttempts: 1 }) };
}

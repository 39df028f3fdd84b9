/** TokenManager's options, their defaults, and their validation (messages restate the contract). */
import type { BackoffOptions } from "./error-policy.js";
import type { FetchLike } from "./gateway-request.js";
import type { BroadcastChannelFactory } from "./tab-channel.js";
import type { LockManagerLike } from "./web-locks.js";

export interface TokenManagerOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  endpoint: string;
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
  /** Abort one request to the gateway after this many ms (default 30 000); it then counts as a NETWORK_ERROR and is retried. */
  requestTimeoutMs?: number;
  /** Attempts for retryable failures, the first included (default 5). */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  fetch?: FetchLike;
  headers?: Record<string, string>;
  now?: () => number;
}

export const DEFAULTS = { refreshSkewMs: 60_000, channelName: "idc-token-gateway", electionWindowMs: 100, followerTimeoutMs: 15_000, requestTimeoutMs: 30_000, maxAttempts: 5 };

export type TokenManagerSettings = typeof DEFAULTS;

/** Options checked up front, with messages that restate the contract and show the bad value. */
export function getValidSettings(options: TokenManagerOptions): TokenManagerSettings {
  if (typeof options.endpoint !== "string" || !/^https?:\/\//.test(options.endpoint)) {
    throw new TypeError(`TokenManager: endpoint must be the gateway's http(s) GraphQL URL, got ${JSON.stringify(options.endpoint)}`);
  }
  const settings = { ...DEFAULTS };
  for (const key of ["refreshSkewMs", "electionWindowMs", "followerTimeoutMs", "requestTimeoutMs", "maxAttempts"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const min = key === "maxAttempts" ? 1 : 0;
    if (!Number.isInteger(value) || value < min) throw new TypeError(`TokenManager: ${key} must be an integer >= ${min}, got ${String(value)}`);
    settings[key] = value;
  }
  return settings;
}

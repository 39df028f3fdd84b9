/**
 * What the client's parts that call the gateway (token manager, credentials provider) are configured
 * with alike, and the checks their validators share: messages name who is being configured, restate
 * the contract and show the bad value.
 */
import type { BackoffOptions } from "./error-policy.js";
import type { FetchLike, GatewayRequestOptions } from "./gateway-request.js";

export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  endpoint: string;
  /** Abort one request to the gateway after this many ms (default 30 000); it then counts as a NETWORK_ERROR and is retried. */
  requestTimeoutMs?: number;
  /** Attempts for retryable failures, the first included. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Extra headers for every request (never put tokens in URLs). */
  headers?: Record<string, string>;
  /** The clock (epoch ms); default Date.now. */
  now?: () => number;
}

/** One request's options: a fresh timeout signal each time. */
export function requestOptionsOf(options: GatewayClientOptions, requestTimeoutMs: number): GatewayRequestOptions {
  const { endpoint, fetch, headers } = options;
  return { endpoint, signal: AbortSignal.timeout(requestTimeoutMs), ...(fetch ? { fetch } : {}), ...(headers ? { headers } : {}) };
}

export function checkEndpoint(owner: string, endpoint: unknown): void {
  if (typeof endpoint !== "string" || !/^https?:\/\//.test(endpoint)) {
    throw new TypeError(`${owner}: endpoint must be the gateway's http(s) GraphQL URL, got ${JSON.stringify(endpoint)}`);
  }
}

/** `defaults` with each integer option `options` sets, checked against its minimum (0 unless `minimums` says). */
export function withIntegerOptions<T extends Record<string, number>>(
  owner: string,
  defaults: T,
  options: { readonly [K in keyof T]?: number | undefined },
  minimums: { readonly [K in keyof T]?: number } = {},
): T {
  const settings = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T & string)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const min = minimums[key] ?? 0;
    if (!Number.isInteger(value) || value < min) throw new TypeError(`${owner}: ${key} must be an integer >= ${min}, got ${String(value)}`);
    settings[key] = value as T[typeof key];
  }
  return settings;
}

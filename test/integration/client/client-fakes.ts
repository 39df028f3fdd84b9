/**
 * For the example client's tests that need no gateway: a token set as the gateway answers it, and
 * a fake fetch whose answers the test releases one by one (so a test decides what happens between
 * a request leaving and its answer arriving).
 */
import type { FetchLike, TokenSetFragment } from "../../../examples/client/src/index.js";

/** A token set issued at `issuedAtMs` (the gateway's clock) for `lifetimeSeconds`, as the gateway answers it. */
export function gatewayTokenSet(issuedAtMs: number, label: string, lifetimeSeconds = 3600): TokenSetFragment {
  return {
    accessToken: `access-${label}`, tokenType: "Bearer", expiresIn: lifetimeSeconds, refreshToken: `refresh-${label}`, idToken: null,
    issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid"], awsAdditionalDetails: null,
    clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222",
    issuedAt: new Date(issuedAtMs).toISOString(), expiresAt: new Date(issuedAtMs + lifetimeSeconds * 1000).toISOString(),
    secondsRemaining: lifetimeSeconds,
    isAwsToken: false, canRefresh: true, idTokenClaims: null,
  };
}

export interface HeldFetch {
  fetch: FetchLike;
  /** Operation names sent, in order. */
  operations: string[];
  /** Answers the oldest unanswered request with `status` and `body` (a string as is, anything else as JSON). */
  answer(body: unknown, status?: number): void;
  readonly pending: number;
}

export function heldFetch(): HeldFetch {
  const operations: string[] = [];
  const queue: ((response: { status: number; text(): Promise<string> }) => void)[] = [];
  return {
    operations,
    fetch: (_input, init) => {
      const body = JSON.parse(init.body) as { query: string };
      operations.push(/^\s*(?:query|mutation)\s+(\w+)/m.exec(body.query)?.[1] ?? "anonymous");
      return new Promise((resolve) => queue.push(resolve));
    },
    answer(body, status = 200) {
      const next = queue.shift();
      if (!next) throw new Error("no request is waiting for an answer");
      next({ status, text: async () => (typeof body === "string" ? body : JSON.stringify(body)) });
    },
    get pending() {
      return queue.length;
    },
  };
}

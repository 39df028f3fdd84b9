/**
 * For the example client's tests: a counting fetch (the client's own record of what it sent, like
 * dataloader's `calls`) and waiting for a TokenManager state.
 */
import type { FetchLike, TokenManager, TokenManagerState } from "../../../examples/client/src/index.js";

export interface CountingFetch {
  fetch: FetchLike;
  /** Operation names of the requests sent, in order (e.g. ["ExchangeToken", "RefreshTokens"]). */
  operations: string[];
}

export function countingFetch(): CountingFetch {
  const operations: string[] = [];
  const fetchImpl: FetchLike = async (input, init) => {
    const { query } = JSON.parse(init.body) as { query: string };
    operations.push(/^\s*(?:query|mutation)\s+(\w+)/m.exec(query)?.[1] ?? "anonymous");
    return fetch(input, init);
  };
  return { fetch: fetchImpl, operations };
}

/** Resolves with the manager's state once `predicate` holds (now or later); rejects after timeoutMs. */
export function stateWhere(manager: TokenManager, predicate: (state: TokenManagerState) => boolean, timeoutMs = 10_000): Promise<TokenManagerState> {
  return new Promise((resolve, reject) => {
    if (predicate(manager.state)) return resolve(manager.state);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`state did not match within ${timeoutMs} ms; last state: ${JSON.stringify(manager.state)}`));
    }, timeoutMs);
    const unsubscribe = manager.subscribe((state) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(state);
    });
  });
}

/** Tokens issued after `issuedAt` (a refresh happened). */
/** The tokens of a signed-in state; any other state fails the test, so a comparison on them can never pass vacuously. */
export function signedInTokens(state: TokenManagerState): Extract<TokenManagerState, { status: "signed-in" }>["tokens"] {
  if (state.status !== "signed-in") throw new Error(`expected a signed-in state, got ${JSON.stringify(state)}`);
  return state.tokens;
}

export const issuedAfter = (issuedAt: string) => (state: TokenManagerState) =>
  state.status === "signed-in" && state.tokens.issuedAt > issuedAt;

/** A unique channel name per test, so tests (and test files) never hear each other. */
export const uniqueChannel = (label: string) => `client-test-${label}-${process.pid}-${Math.random().toString(36).slice(2)}`;

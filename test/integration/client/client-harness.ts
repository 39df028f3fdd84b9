/**
 * For the example client's tests: a counting fetch (the client's own record of what it sent, like
 * dataloader's `calls`) and waiting for a TokenManager state.
 */
import type { FetchLike, TokenManager, TokenManagerState } from "../../../examples/client/src/index.js";
import type { TestEmulator } from "../../support/emulator-harness.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * The running gateway the client's tests talk to, with `emulator` as its upstream and one upstream
 * attempt, so an injected fault reaches the client and the client's own policy is what is tested.
 */
export function startClientGateway(emulator: TestEmulator, env: Record<string, string> = {}): Promise<GatewayProcess> {
  return startGateway({
    env: {
      SSO_OIDC_ENDPOINT: emulator.url,
      AWS_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
      UPSTREAM_MAX_ATTEMPTS: "1",
      ...env,
    },
  });
}

export interface CountingFetch {
  fetch: FetchLike;
  /** Operation names of the requests sent, in order (e.g. ["ExchangeToken", "RefreshTokens"]). */
  operations: string[];
  /** The variables of those requests, in the same order. */
  variables: Record<string, unknown>[];
}

export function countingFetch(): CountingFetch {
  const operations: string[] = [];
  const variables: Record<string, unknown>[] = [];
  const fetchImpl: FetchLike = async (input, init) => {
    const body = JSON.parse(init.body) as { query: string; variables?: Record<string, unknown> };
    operations.push(/^\s*(?:query|mutation)\s+(\w+)/m.exec(body.query)?.[1] ?? "anonymous");
    variables.push(body.variables ?? {});
    return fetch(input, init);
  };
  return { fetch: fetchImpl, operations, variables };
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

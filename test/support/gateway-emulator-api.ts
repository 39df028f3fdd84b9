import { createHash, randomBytes, randomUUID } from "node:crypto";

/**
 * The emulator's developer API (docs/emulator.md "Developer API") over fetch, so tests can mint
 * grants, inject faults and count the upstream calls the gateway made (our `[loader, calls]`).
 */

export interface EmulatorStats {
  calls: { CreateTokenWithIAM: number; CreateToken: number; RegisterClient: number; StartDeviceAuthorization: number; AssumeRole: number; GetCallerIdentity: number };
  errors?: Record<string, number>;
}

export interface FaultSpec {
  operation?: string;
  latencyMs?: number;
  exception?: string;
  reason?: string;
  count?: number;
  errorRate?: number;
  dropConnection?: boolean;
}

export interface EmulatorApi {
  /** A fresh JWT from the built-in trusted issuer; every call yields a distinct assertion (unique `jti`). */
  mintAssertion(body?: { sub?: string; aud?: string; iss?: string; expiresInSeconds?: number; notBeforeSeconds?: number; claims?: Record<string, unknown> }): Promise<string>;
  authorize(body: { clientId?: string; redirectUri: string; sub: string; codeChallenge?: string; codeChallengeMethod?: "S256" | "plain"; scope?: string[] }): Promise<string>;
  stats(): Promise<EmulatorStats>;
  /** Calls of CreateTokenWithIAM the emulator has received since the last reset. */
  createTokenWithIAMCalls(): Promise<number>;
  addFault(fault: FaultSpec): Promise<{ id: string }>;
  clearFaults(): Promise<void>;
  reset(): Promise<void>;
}

async function call<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`emulator ${method} ${path} answered HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export function emulatorApi(emulatorUrl: string): EmulatorApi {
  return {
    async mintAssertion(body = {}) {
      // A unique jti per mint: two mints for one user within a second would otherwise be the same
      // JWT byte for byte, and the gateway rightly answers a repeated JWT exchange from its cache.
      const claims = { jti: randomUUID(), ...body.claims };
      const { assertion } = await call<{ assertion: string }>(emulatorUrl, "POST", "/_emulator/assertions", { sub: "alice", ...body, claims });
      return assertion;
    },
    async authorize(body) {
      const { code } = await call<{ code: string }>(emulatorUrl, "POST", "/_emulator/authorize", body);
      return code;
    },
    stats: () => call<EmulatorStats>(emulatorUrl, "GET", "/_emulator/stats"),
    async createTokenWithIAMCalls() {
      return (await call<EmulatorStats>(emulatorUrl, "GET", "/_emulator/stats")).calls.CreateTokenWithIAM;
    },
    addFault: (fault) => call<{ id: string }>(emulatorUrl, "POST", "/_emulator/faults", fault),
    async clearFaults() {
      await call(emulatorUrl, "DELETE", "/_emulator/faults");
    },
    async reset() {
      await call(emulatorUrl, "POST", "/_emulator/reset");
    },
  };
}

/** A PKCE pair (RFC 7636): a random verifier and its S256 challenge. */
export function createPkcePair(): { codeVerifier: string; codeChallenge: string } {
  const codeVerifier = randomBytes(32).toString("base64url");
  const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
  return { codeVerifier, codeChallenge };
}

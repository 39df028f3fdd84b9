import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createUpstream, type GatewayUpstream, type UpstreamTokenRequest, type UpstreamTokenResponse } from "../../../src/upstream/index.js";
import { createPkcePair } from "../../support/gateway-emulator-api.js";

/**
 * The upstream wrapper (createUpstream: the SDK client, its retries, the circuit) holds every grant
 * secret and every token AWS issues. Each grant is sent through it against the real emulator
 * at trace level three times: answered, rejected (InvalidGrantException) and failed upstream
 * (InternalServerException). The lines each outcome writes are asserted first, so the scan that
 * follows (no grant value, no issued token in the output) covers lines that were really written.
 */

const REDIRECT_URI = "https://mywebapp.example/redirect";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const GRANTS = ["jwt-bearer", "authorization_code with PKCE", "refresh_token", "token-exchange"] as const;
type Grant = (typeof GRANTS)[number];

let emulator: RunningEmulator;
let upstream: GatewayUpstream;
const output: string[] = [];
/** Every grant value sent and token received by the test, which the log must not hold. */
const secrets = new Set<string>();

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  upstream = createUpstream({
    region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials,
    timeoutMs: 5000, connectTimeoutMs: 2000, maxAttempts: 1,
    circuitBreaker: { threshold: 1000, cooldownMs: 1000 },
    logger: createLogger({ level: "trace", destination: { write: (line: string) => void output.push(line) } }),
  });
});
afterEach(async () => {
  await devApi("DELETE", "/_emulator/faults");
});
afterAll(async () => {
  upstream?.destroy();
  await emulator?.stop();
});

async function devApi(method: "POST" | "DELETE", path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${emulator.url}${path}`, {
    method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return response.json();
}

function remember(response: UpstreamTokenResponse): UpstreamTokenResponse {
  for (const value of [response.accessToken, response.refreshToken, response.idToken, response.awsAdditionalDetails?.identityContext]) if (value) secrets.add(value);
  return response;
}

async function jwtBearer(): Promise<UpstreamTokenRequest> {
  const { assertion } = await devApi("POST", "/_emulator/assertions", { sub: `user-${secrets.size}` });
  return { clientId: emulator.defaultClientId, grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion };
}

/** A fresh request of `grant`, its secret values remembered (an earlier exchange supplies refresh and subject tokens). */
async function requestFor(grant: Grant): Promise<UpstreamTokenRequest> {
  const request = await (async (): Promise<UpstreamTokenRequest> => {
    switch (grant) {
      case "jwt-bearer":
        return jwtBearer();
      case "authorization_code with PKCE": {
        const { codeVerifier, codeChallenge } = createPkcePair();
        const { code } = await devApi("POST", "/_emulator/authorize", { redirectUri: REDIRECT_URI, sub: "bob", codeChallenge, codeChallengeMethod: "S256" });
        return { clientId: emulator.defaultClientId, grantType: "authorization_code", code, redirectUri: REDIRECT_URI, codeVerifier };
      }
      case "refresh_token":
        return { clientId: emulator.defaultClientId, grantType: "refresh_token", refreshToken: remember(await upstream.createTokenWithIAM(await jwtBearer())).refreshToken! };
      case "token-exchange":
        return { clientId: emulator.defaultClientId, grantType: "urn:ietf:params:oauth:grant-type:token-exchange", subjectToken: remember(await upstream.createTokenWithIAM(await jwtBearer())).accessToken!, subjectTokenType: ACCESS_TOKEN_TYPE };
    }
  })();
  for (const value of [request.assertion, request.code, request.codeVerifier, request.refreshToken, request.subjectToken]) if (value) secrets.add(value);
  return request;
}

/** The lines the next `send` writes: [level, message]. */
async function linesOf(send: () => Promise<unknown>): Promise<Array<[number, string]>> {
  const before = output.length;
  await send().catch(() => undefined);
  return output.slice(before).map((line) => JSON.parse(line) as { level: number; msg: string }).map((line) => [line.level, line.msg]);
}

describe.each(GRANTS)("the %s grant through the upstream wrapper", (grant) => {
  it("answered: one debug line, and AWS's tokens come back", async () => {
    const request = await requestFor(grant);
    let response: UpstreamTokenResponse | undefined;
    expect(await linesOf(async () => (response = remember(await upstream.createTokenWithIAM(request))))).toEqual([[20, "CreateTokenWithIAM succeeded"]]);
    expect(response?.accessToken).toMatch(/^aoa/);
  });

  it("rejected by AWS: one debug line", async () => {
    const request = await requestFor(grant);
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InvalidGrantException", count: 1 });
    expect(await linesOf(() => upstream.createTokenWithIAM(request))).toEqual([[20, "CreateTokenWithIAM rejected the grant"]]);
  });

  it("failed upstream: one warn line", async () => {
    const request = await requestFor(grant);
    await devApi("POST", "/_emulator/faults", { operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    expect(await linesOf(() => upstream.createTokenWithIAM(request))).toEqual([[40, "CreateTokenWithIAM failed upstream"]]);
  });
});

it("wrote none of the grant values sent nor the tokens issued, in any of those lines", () => {
  expect(secrets.size).toBeGreaterThan(20);
  expect([...secrets].filter((secret) => output.join("").includes(secret)).map((secret) => `${secret.slice(0, 10)}… (${secret.length} chars)`)).toEqual([]);
});

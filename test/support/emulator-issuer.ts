/**
 * An external trusted token issuer for emulator tests: an RS256 key pair the test owns, so it can
 * sign any assertion (expired, wrong audience, not yet valid…), and an optional HTTP server that
 * publishes its JWKS for the emulator's `trustedIssuers[].jwksUri`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from "jose";

export interface TestIssuer {
  issuer: string;
  audience: string;
  kid: string;
  jwks: { keys: JWK[] };
  /** Signs `claims` (defaults: iss, aud, sub alice, iat now, exp in 5 min) with the issuer's key. */
  sign(claims?: JWTPayload, header?: { kid?: string }): Promise<string>;
}

export async function createTestIssuer(issuer: string, audience: string, kid = "test-key-1"): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return {
    issuer,
    audience,
    kid,
    jwks: { keys: [publicJwk] },
    async sign(claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: audience, sub: "alice", iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: "RS256", kid: header.kid ?? kid, typ: "JWT" })
        .sign(privateKey);
    },
  };
}

/** Serves `jwks` at `GET /jwks.json` on an ephemeral port. */
export async function serveJwks(jwks: { keys: JWK[] }): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/jwks.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

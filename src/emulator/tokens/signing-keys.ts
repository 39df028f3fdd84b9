/**
 * The emulator's two RS256 key pairs, generated once at start: the built-in trusted token issuer's
 * (signs assertions from the developer API; its JWKS is public) and Identity Center's own (signs
 * idTokens). Both are kept as imported CryptoKeys so signing never re-imports a key.
 */
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { randomToken } from "./opaque-token.js";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export interface SigningKey {
  kid: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
}

async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = randomToken(9);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateKey, publicJwk };
}

export interface EmulatorKeys {
  issuer: SigningKey;
  idToken: SigningKey;
}

export async function generateEmulatorKeys(): Promise<EmulatorKeys> {
  const [issuer, idToken] = await Promise.all([generateSigningKey(), generateSigningKey()]);
  return { issuer, idToken };
}

export function jwksOf(key: SigningKey): { keys: JWK[] } {
  return { keys: [key.publicJwk] };
}

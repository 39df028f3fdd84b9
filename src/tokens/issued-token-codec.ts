import type { SingleFlightCodec } from "../coordination/single-flight.js";
import type { IssuedToken } from "./token.types.js";

/**
 * How an IssuedToken crosses processes and rests in the store: JSON bytes, always sealed
 * (AES-256-GCM, keyspace.seal) before they are written. `issuedAt` travels with it, so a
 * response served from the cache or to a follower keeps the original expiresAt.
 */
export function encodeIssuedToken(token: IssuedToken): Buffer {
  // Stryker disable next-line StringLiteral: equivalent, Buffer.from reads an empty encoding name as UTF-8
  return Buffer.from(JSON.stringify(token), "utf8");
}

export function decodeIssuedToken(bytes: Buffer): IssuedToken {
  const value: unknown = JSON.parse(bytes.toString("utf8"));
  if (!isIssuedToken(value)) throw new TypeError("stored token response is malformed (no issuedAt/clientId)");
  return value;
}

function isIssuedToken(value: unknown): value is IssuedToken {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<IssuedToken>;
  return typeof candidate.issuedAt === "number" && typeof candidate.clientId === "string";
}

export const issuedTokenCodec: SingleFlightCodec<IssuedToken> = {
  encode: encodeIssuedToken,
  decode: decodeIssuedToken,
};

/** Milliseconds of life the token's access token has left at `now`; undefined when AWS gave no expiresIn. */
export function remainingLifeMs(token: IssuedToken, now: number): number | undefined {
  if (token.expiresIn === undefined) return undefined;
  return token.issuedAt + token.expiresIn * 1000 - now;
}

import { createHmac } from "node:crypto";
import type { SingleFlightCodec } from "../coordination/single-flight.js";
import type { ValidCredentialsRequest } from "./credentials-request.js";
import type { IssuedCredentials } from "./credentials.types.js";

/** Bump when the canonical encoding changes, so old keys in a shared store never collide with new ones. */
const ENCODING_VERSION = "aws-credentials/v2";

/**
 * A keyed fingerprint of a credentials request: HMAC-SHA256 under the gateway secret over what
 * decides STS's answer. The loader, single-flight and cache key: the identity context (a secret)
 * cannot be read back from it. Hex output never contains a substring of the input.
 */
export function fingerprintCredentialsRequest(request: ValidCredentialsRequest & { clientId: string }, gatewaySecret: Buffer): string {
  // The application too: it names the role session (RoleSessionName), so it is part of the answer.
  return createHmac("sha256", gatewaySecret)
    .update(JSON.stringify([ENCODING_VERSION, request.identityContext, request.roleArn, request.durationSeconds, request.clientId]))
    .digest("hex");
}

/** JSON bytes, always sealed (AES-256-GCM, keyspace.seal) before the store sees them. */
export function encodeCredentials(credentials: IssuedCredentials): Buffer {
  return Buffer.from(JSON.stringify(credentials), "utf8");
}

export function decodeCredentials(bytes: Buffer): IssuedCredentials {
  const value = JSON.parse(bytes.toString("utf8")) as Partial<IssuedCredentials> | null;
  const strings = [value?.accessKeyId, value?.secretAccessKey, value?.sessionToken, value?.roleArn, value?.assumedRoleArn];
  if (value === null || typeof value !== "object" || typeof value.expiration !== "number" || strings.some((field) => typeof field !== "string")) {
    throw new TypeError("stored credentials are malformed");
  }
  return value as IssuedCredentials;
}

export const credentialsCodec: SingleFlightCodec<IssuedCredentials> = { encode: encodeCredentials, decode: decodeCredentials };

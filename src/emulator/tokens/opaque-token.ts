/**
 * Opaque tokens that still say where they were issued: `aoa-<region>:<random>` for access tokens,
 * `aor-<region>:<random>` for refresh tokens. The region lets an emulator answer a token from
 * another region's emulator with InvalidRequestRegionException, as Identity Center does.
 */
import { randomBytes } from "node:crypto";

export type OpaqueTokenKind = "access" | "refresh";

const PREFIX: Record<OpaqueTokenKind, string> = { access: "aoa-", refresh: "aor-" };

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function mintOpaqueToken(kind: OpaqueTokenKind, region: string): string {
  return `${PREFIX[kind]}${region}:${randomToken(48)}`;
}

/** The issuing region of a well-formed token of that kind, else undefined. */
export function regionOfToken(kind: OpaqueTokenKind, token: string): string | undefined {
  if (!token.startsWith(PREFIX[kind])) return undefined;
  const colon = token.indexOf(":", PREFIX[kind].length);
  if (colon < 0) return undefined;
  const region = token.slice(PREFIX[kind].length, colon);
  return /^[a-z0-9-]{1,32}$/.test(region) ? region : undefined;
}

export function regionalEndpoint(region: string): string {
  return `https://oidc.${region}.amazonaws.com`;
}

/**
 * The idToken Identity Center returns: an RS256 JWT with AWS's claims (see the service's
 * documented example), signed with the emulator's own key.
 */
import { SignJWT } from "jose";
import type { EmulatorConfig } from "../emulator-config.js";
import type { SigningKey } from "./signing-keys.js";
import type { Session } from "./token-store.js";

export function identityCenterIssuer(instanceArn: string): string {
  const instanceId = instanceArn.slice(instanceArn.lastIndexOf("/") + 1);
  return `https://identitycenter.amazonaws.com/${instanceId}`;
}

export function signIdToken(
  session: Session,
  config: EmulatorConfig,
  key: SigningKey,
  lifetimeSeconds: number,
  nowSeconds: number,
): Promise<string> {
  return new SignJWT({
    "sts:identity_context": session.identityContext,
    "sts:audit_context": `${session.identityContext}.audit`,
    "aws:identity_store_id": config.identityStoreId,
    "aws:identity_store_arn": `arn:aws:identitystore::${config.accountId}:identitystore/${config.identityStoreId}`,
    "aws:instance_arn": config.instanceArn,
    "aws:instance_account": config.accountId,
    "aws:credential_id": session.credentialId,
    auth_time: new Date(session.authTime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
  })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .setSubject(session.sub)
    .setAudience(session.clientId)
    .setIssuer(identityCenterIssuer(config.instanceArn))
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + lifetimeSeconds)
    .sign(key.privateKey);
}

/**
 * Trusted token issuers for the JWT-bearer grant: the built-in one (keys owned by the emulator)
 * and those from configuration (a static JWKS, or a JWKS URL fetched and cached by jose).
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { BUILT_IN_AUDIENCE, BUILT_IN_ISSUER, type ApplicationConfig, type TrustedIssuerConfig } from "../emulator-config.js";
import { jwksOf, type SigningKey } from "./signing-keys.js";

export interface TrustedIssuer {
  issuer: string;
  audiences: string[];
  keys: JWTVerifyGetKey;
}

export class TrustedIssuers {
  private readonly byIssuer = new Map<string, TrustedIssuer>();

  constructor(builtInKey: SigningKey, configured: TrustedIssuerConfig[]) {
    this.byIssuer.set(BUILT_IN_ISSUER, {
      issuer: BUILT_IN_ISSUER,
      audiences: [BUILT_IN_AUDIENCE],
      keys: createLocalJWKSet(jwksOf(builtInKey) as JSONWebKeySet),
    });
    for (const issuer of configured) {
      const keys = issuer.jwksUri !== undefined
        ? createRemoteJWKSet(new URL(issuer.jwksUri))
        : createLocalJWKSet(issuer.jwks as JSONWebKeySet);
      this.byIssuer.set(issuer.issuer, { issuer: issuer.issuer, audiences: issuer.audiences, keys });
    }
  }

  get(issuer: string): TrustedIssuer | undefined {
    return this.byIssuer.get(issuer);
  }

  /** An application with no `trustedIssuers` trusts the built-in issuer and every configured one. */
  isTrustedBy(application: ApplicationConfig, issuer: string): boolean {
    if (!this.byIssuer.has(issuer)) return false;
    return application.trustedIssuers === undefined || application.trustedIssuers.includes(issuer);
  }
}

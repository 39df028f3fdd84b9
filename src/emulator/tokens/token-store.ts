/**
 * In-memory state for issued tokens: sessions (who signed in, to which application), the access
 * and refresh tokens pointing at them, and authorization codes. Expired entries are swept
 * periodically so a long benchmark does not grow memory without bound.
 */
import { randomToken } from "./opaque-token.js";

/** One sign-in: what every token derived from it shares. */
export interface Session {
  sub: string;
  clientId: string;
  scopes: string[];
  /** Epoch seconds of the original authentication. */
  authTime: number;
  credentialId: string;
  identityContext: string;
}

export interface AccessTokenRecord {
  session: Session;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  session: Session;
  expiresAt: number;
}

/** An identity context handed out in CreateTokenWithIAM answers: good while its sign-in has a live access token. */
export interface IdentityContextRecord {
  session: Session;
  expiresAt: number;
}

export interface AuthorizationCodeRecord {
  clientId: string;
  redirectUri: string;
  sub: string;
  scopes: string[] | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: "S256" | "plain" | undefined;
  expiresAt: number;
}

/**
 * A bound on each map so a long benchmark cannot exhaust memory: past it, the oldest entries go
 * (Maps iterate in insertion order). High enough that no realistic test ever sees an eviction.
 */
export const MAX_ENTRIES_PER_KIND = 500_000;

function setBounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  if (map.size > MAX_ENTRIES_PER_KIND) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

export class TokenStore {
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly codes = new Map<string, AuthorizationCodeRecord>();
  readonly identityContexts = new Map<string, IdentityContextRecord>();

  issueCode(record: AuthorizationCodeRecord): string {
    const code = randomToken(32);
    setBounded(this.codes, code, record);
    return code;
  }

  rememberAccessToken(token: string, record: AccessTokenRecord): void {
    setBounded(this.accessTokens, token, record);
    // Every access token of a sign-in (refreshes included) keeps its identity context valid.
    const known = this.identityContexts.get(record.session.identityContext);
    if (known === undefined || known.expiresAt < record.expiresAt) {
      setBounded(this.identityContexts, record.session.identityContext, { session: record.session, expiresAt: record.expiresAt });
    }
  }

  rememberRefreshToken(token: string, record: RefreshTokenRecord): void {
    setBounded(this.refreshTokens, token, record);
  }

  /** Drops everything that expired before `now` (epoch ms). */
  sweep(now: number): void {
    for (const map of [this.accessTokens, this.refreshTokens, this.codes, this.identityContexts] as Map<string, { expiresAt: number }>[]) {
      for (const [key, record] of map) if (record.expiresAt <= now) map.delete(key);
    }
  }

  clear(): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.codes.clear();
    this.identityContexts.clear();
  }
}

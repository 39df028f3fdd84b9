/**
 * The role sessions AssumeRole created, by access key id: their secret and session token (so the
 * credentials really sign), who they are, and, for identity-enhanced sessions, which Identity
 * Center user and application they carry. Bounded like the token store, swept when expired.
 */
import type { TemporaryCredentials } from "../http/sigv4-verifier.js";

/** The Identity Center user an identity-enhanced session acts for. */
export interface SessionIdentity {
  sub: string;
  applicationArn: string;
}

export interface StsSession extends TemporaryCredentials {
  accessKeyId: string;
  roleArn: string;
  roleSessionName: string;
  assumedRoleArn: string;
  assumedRoleId: string;
  account: string;
  identity: SessionIdentity | undefined;
}

const MAX_SESSIONS = 500_000;

export class StsSessionStore {
  private readonly sessions = new Map<string, StsSession>();

  remember(session: StsSession): void {
    this.sessions.set(session.accessKeyId, session);
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
  }

  get(accessKeyId: string): StsSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** Drops sessions that expired before `now` (epoch ms). */
  sweep(now: number): void {
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }

  clear(): void {
    this.sessions.clear();
  }
}

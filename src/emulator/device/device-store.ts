/**
 * State of the unsigned flows: public clients registered through RegisterClient and pending device
 * authorizations (looked up by device code for polling and by user code for approval).
 */
export const PUBLIC_GRANT_TYPES = {
  authorizationCode: "authorization_code",
  deviceCode: "urn:ietf:params:oauth:grant-type:device_code",
  refreshToken: "refresh_token",
} as const;
export type PublicGrantType = (typeof PUBLIC_GRANT_TYPES)[keyof typeof PUBLIC_GRANT_TYPES];

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  clientName: string;
  scopes: string[];
  /** What the client may do on CreateToken (and StartDeviceAuthorization). */
  grantTypes: PublicGrantType[];
  redirectUris: string[];
  issuerUrl: string | undefined;
  entitledApplicationArn: string | undefined;
  issuedAt: number;
  secretExpiresAt: number;
}

export type DeviceAuthorizationStatus =
  | { kind: "pending" }
  | { kind: "approved"; sub: string }
  | { kind: "denied" };

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  clientId: string;
  expiresAt: number;
  intervalSeconds: number;
  lastPolledAt: number | undefined;
  status: DeviceAuthorizationStatus;
}

export class DeviceStore {
  readonly clients = new Map<string, RegisteredClient>();
  readonly byDeviceCode = new Map<string, DeviceAuthorization>();
  readonly byUserCode = new Map<string, DeviceAuthorization>();

  add(authorization: DeviceAuthorization): void {
    this.byDeviceCode.set(authorization.deviceCode, authorization);
    this.byUserCode.set(authorization.userCode, authorization);
  }

  remove(authorization: DeviceAuthorization): void {
    this.byDeviceCode.delete(authorization.deviceCode);
    this.byUserCode.delete(authorization.userCode);
  }

  /** Authorizations are kept a while past expiry so late polls still get ExpiredTokenException. */
  sweep(now: number, graceMs: number): void {
    for (const authorization of this.byDeviceCode.values()) {
      if (authorization.expiresAt + graceMs <= now) this.remove(authorization);
    }
    for (const [id, client] of this.clients) if (client.secretExpiresAt * 1000 <= now) this.clients.delete(id);
  }

  clear(): void {
    this.clients.clear();
    this.byDeviceCode.clear();
    this.byUserCode.clear();
  }
}

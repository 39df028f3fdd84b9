/**
 * A typed client for the emulator's developer API (`/_emulator/…`, JSON over HTTP, unsigned),
 * as documented in docs/emulator.md. Successful calls return the parsed body; a non-2xx answer
 * throws a `DevApiError` carrying the status and body, so tests can assert on bad input too.
 */

export interface AssertionRequest {
  sub: string;
  aud?: string;
  iss?: string;
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
  claims?: Record<string, unknown>;
}
export interface AssertionResponse {
  assertion: string;
  issuer: string;
  audience: string;
  expiresAt: unknown;
}
export interface AuthorizeRequest {
  clientId?: string;
  redirectUri: string;
  sub: string;
  codeChallenge?: string;
  codeChallengeMethod?: "S256" | "plain";
  scope?: string[];
}
export interface FaultRequest {
  operation?: "CreateTokenWithIAM" | "CreateToken" | "RegisterClient" | "StartDeviceAuthorization" | "AssumeRole" | "GetCallerIdentity";
  latencyMs?: number;
  exception?: string;
  reason?: string;
  count?: number;
  errorRate?: number;
  dropConnection?: boolean;
}
export interface EmulatorStats {
  calls: {
    CreateTokenWithIAM: number;
    CreateToken: number;
    RegisterClient: number;
    StartDeviceAuthorization: number;
    AssumeRole: number;
    GetCallerIdentity: number;
  };
  errors: Record<string, number>;
}

/** `GET /_emulator/sts/sessions/<accessKeyId>`: who a role session is. */
export interface StsSessionInfo {
  accessKeyId: string;
  roleArn: string;
  roleSessionName: string;
  assumedRoleArn: string;
  expiration: string;
  expired: boolean;
  identityCenter: { sub: string; applicationArn: string } | null;
}

export class DevApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    super(`${method} ${path} answered ${status}: ${JSON.stringify(body)}`);
    this.name = "DevApiError";
  }
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export class EmulatorDevApi {
  constructor(readonly baseUrl: string) {}

  /** Sends any request to the developer API and returns status, headers and parsed body (never throws on status). */
  async raw(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<RawAnswer> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      init.headers = { "content-type": contentType };
    }
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // keep the text: the test asserting on it will show it
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.raw(method, path, body);
    if (answer.status < 200 || answer.status >= 300) throw new DevApiError(answer.status, answer.body, method, path);
    return answer.body as T;
  }

  /** A JWT from the built-in trusted token issuer. */
  assertion(request: AssertionRequest): Promise<AssertionResponse> {
    return this.call("POST", "/_emulator/assertions", request);
  }
  /** An authorization code, as if the user had signed in and been redirected. */
  authorize(request: AuthorizeRequest): Promise<{ code: string; expiresAt: unknown }> {
    return this.call("POST", "/_emulator/authorize", request);
  }
  approveDevice(userCode: string, sub: string): Promise<{ approved: true }> {
    return this.call("POST", "/_emulator/device/approve", { userCode, sub });
  }
  denyDevice(userCode: string): Promise<{ denied: true }> {
    return this.call("POST", "/_emulator/device/deny", { userCode });
  }
  stats(): Promise<EmulatorStats> {
    return this.call("GET", "/_emulator/stats");
  }
  addFault(fault: FaultRequest): Promise<{ id: string } & Record<string, unknown>> {
    return this.call("POST", "/_emulator/faults", fault);
  }
  clearFaults(): Promise<{ cleared: number }> {
    return this.call("DELETE", "/_emulator/faults");
  }
  reset(): Promise<{ reset: true }> {
    return this.call("POST", "/_emulator/reset");
  }
  issuerJwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
    return this.call("GET", "/_emulator/issuer/jwks.json");
  }
  idTokenJwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
    return this.call("GET", "/_emulator/id-token/jwks.json");
  }
  /** The role session AssumeRole created with this access key id. */
  stsSession(accessKeyId: string): Promise<StsSessionInfo> {
    return this.call("GET", `/_emulator/sts/sessions/${encodeURIComponent(accessKeyId)}`);
  }
  health(): Promise<{ status: string }> {
    return this.call("GET", "/_emulator/health");
  }
}

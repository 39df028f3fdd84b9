import type { CorsConfig } from "../config/config.types.js";
import { GatewayError } from "../errors/error-codes.js";
import { isAllowedOrigin } from "./cors.js";

/** The header every session operation carries. A custom header: a cross-origin page can send it only after a CORS preflight the allowlist answers. */
export const SESSION_CSRF_HEADER = "x-idc-csrf";

export interface SessionRequestHeaders {
  /** The request's headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** The gateway's own origin as the browser sees it (scheme://host[:port], honouring TRUST_PROXY). */
  ownOrigin: string;
}

/**
 * Cross-site request forgery defence for operations that use (or start) a session, on top of
 * SameSite=Strict and Apollo's CSRF prevention: the request must carry `x-idc-csrf: 1`, and an
 * Origin, when the browser sends one, must be the gateway's own or one CORS_ORIGINS allows.
 * Browsers send Origin on every cross-origin request, so a missing one is a same-origin GET or a
 * program that is not a browser (which holds no victim's cookie). Returns the refusal, or undefined.
 */
export function refuseSessionRequest(request: SessionRequestHeaders, cors: CorsConfig): GatewayError | undefined {
  const marker = request.headers[SESSION_CSRF_HEADER];
  if (marker !== "1") {
    return new GatewayError("FORBIDDEN", `Session operations need the header ${SESSION_CSRF_HEADER}: 1 (session mode's CSRF defence).`, { field: SESSION_CSRF_HEADER });
  }
  const origin = request.headers.origin;
  if (origin === undefined || origin === request.ownOrigin) return undefined;
  if (typeof origin === "string" && isAllowedOrigin(origin, cors)) return undefined;
  return new GatewayError("FORBIDDEN", "This origin may not use sessions: add it to CORS_ORIGINS, or serve the frontend from the gateway's own origin.", { field: "origin" });
}

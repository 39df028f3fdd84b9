import { parseCookie, stringifySetCookie } from "cookie";
import { isSessionId, type SessionCookie } from "../sessions/index.js";

/**
 * The session cookie (SESSION_MODE=cookie). The `__Host-` prefix makes browsers accept it only
 * with Secure, Path=/ and no Domain: no subdomain can set or shadow it. HttpOnly keeps it from
 * page scripts, SameSite=Strict from requests other sites start. Browsers treat http://localhost
 * and 127.0.0.1 as secure, so it works in development too.
 */
export const SESSION_COOKIE_NAME = "__Host-idc_session";

/** The session id the request's Cookie header carries; undefined when there is none or it is not shaped like one. */
export function readSessionId(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined || !cookieHeader.includes(SESSION_COOKIE_NAME)) return undefined;
  const value = parseCookie(cookieHeader)[SESSION_COOKIE_NAME];
  return isSessionId(value) ? value : undefined;
}

/** The Set-Cookie header value for a session cookie instruction. */
export function sessionSetCookie(cookie: SessionCookie): string {
  const attributes = { httpOnly: true, secure: true, sameSite: "strict", path: "/" } as const;
  return cookie.kind === "set"
    ? stringifySetCookie({ name: SESSION_COOKIE_NAME, value: cookie.sessionId, maxAge: cookie.maxAgeSeconds, ...attributes })
    : stringifySetCookie({ name: SESSION_COOKIE_NAME, value: "", maxAge: 0, expires: new Date(0), ...attributes });
}

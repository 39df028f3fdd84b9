/**
 * How the sign-in pages answer: HTML that is never cached (a consent page holds a one-time form
 * token) and never framed (no clickjacking of the Allow button), and redirects that are not cached
 * either (they carry authorization codes).
 */
import type { ServerResponse } from "node:http";

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * No scripts at all, styles only inline, nothing fetched. `form-action` is left out on purpose:
 * Chromium applies it to the redirect that follows the form's POST, and that redirect goes to the
 * client's own redirect URI.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

export function sendPage(res: ServerResponse, status: number, document: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(document),
    ...NO_STORE,
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    // Not no-referrer: under it Chromium sends `Origin: null` with the form's POST, which the
    // same-origin check must then refuse. Other sites still learn nothing (the query stays here).
    "referrer-policy": "same-origin",
    ...headers,
  });
  res.end(document);
}

/** 302 to `location` (a browser follows a 302 after a POST with a GET, which is what OAuth needs). */
export function sendRedirect(res: ServerResponse, location: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(302, { location, "content-length": 0, ...NO_STORE, "referrer-policy": "no-referrer" });
  res.end();
}

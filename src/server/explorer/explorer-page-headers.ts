import type { FastifyInstance } from "fastify";
import { EXPLORER_CONTENT_SECURITY_POLICY } from "./explorer-page.js";

/**
 * The explorer page's response headers. Apollo answers the landing page with a content type and
 * nothing else, and a `<meta>` Content-Security-Policy cannot say `frame-ancestors`: any site could
 * frame the page and lay its own content over it (an attacker review clicked the page's Run button
 * through a transparent iframe on another origin). The sign-in pages of the emulator refuse
 * framing the same way.
 */
export const EXPLORER_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": `${EXPLORER_CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Adds EXPLORER_PAGE_HEADERS to the HTML the GraphQL endpoint answers (the page); JSON answers are left as they are. */
export function registerExplorerPageHeaders(app: FastifyInstance, endpoint: string): void {
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.routeOptions.url !== endpoint || (request.method !== "GET" && request.method !== "HEAD")) return payload;
    const type = reply.getHeader("content-type");
    if (typeof type !== "string" || !type.toLowerCase().startsWith("text/html")) return payload;
    for (const [name, value] of Object.entries(EXPLORER_PAGE_HEADERS)) reply.header(name, value);
    return payload;
  });
}

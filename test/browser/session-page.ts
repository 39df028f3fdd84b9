import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";

/**
 * The app page of the session-mode browser tests: a tiny node:http server on 127.0.0.1 (same site
 * as the gateways: cookies are per host, not per port) serving one page whose scripts call the
 * gateways the way a session-mode frontend does. Its first script wraps fetch so every response
 * body page scripts receive is recorded: what the tests scan for tokens.
 */

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>session app</title>
<script>
  // Every body a script of this page reads, in arrival order.
  window.__seen = [];
  const originalFetch = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const response = await originalFetch(...args);
    if (response.type !== "opaque") window.__seen.push(await response.clone().text());
    return response;
  };
  // A session-mode GraphQL call: the cookie rides along (credentials: "include") with the CSRF header.
  window.gql = async (url, query, variables, csrf) => {
    const headers = { "content-type": "application/json" };
    if (csrf !== false) headers["x-idc-csrf"] = "1";
    try {
      const response = await fetch(url, { method: "POST", credentials: "include", headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: await response.json() };
    } catch (error) {
      return { networkError: String(error) };
    }
  };
</script></head><body>session app</body></html>`;

export interface PageServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  stop(): Promise<void>;
}

/** Serves the app page at every path, on 127.0.0.1 and an ephemeral port. */
export async function startPageServer(): Promise<PageServer> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    response.end(PAGE_HTML);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface GraphQLAnswer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}
/** What a page script got: the gateway's answer, or the fetch's rejection (CORS refusal, network). */
export type PageAnswer = GraphQLAnswer | { networkError: string };

/** Runs a GraphQL operation from inside `page` (its origin, its cookies); `csrf: false` leaves the x-idc-csrf header out. */
export function callFromPage(page: Page, url: string, query: string, variables: Record<string, unknown> = {}, csrf = true): Promise<PageAnswer> {
  return page.evaluate(
    ([target, text, vars, marker]) => (globalThis as any).gql(target, text, vars, marker) as Promise<PageAnswer>,
    [url, query, variables, csrf] as const,
  );
}

/** Every response body the page's scripts have received so far. */
export function bodiesSeenBy(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as any).__seen as string[]);
}

/** The answer's data, failing with the errors (never tokens: session answers hold none by default) when there is none. */
export function dataOf(answer: PageAnswer): Record<string, any> {
  if ("networkError" in answer) throw new Error(`the page's fetch failed: ${answer.networkError}`);
  if (answer.body.errors !== undefined || answer.body.data == null) {
    throw new Error(`expected data, got HTTP ${answer.status} with errors ${JSON.stringify(answer.body.errors?.map((error) => error.extensions?.code))}`);
  }
  return answer.body.data;
}

/** The error codes of an answer ("network error" when the fetch itself failed). */
export function codesOf(answer: PageAnswer): string[] {
  if ("networkError" in answer) return ["network error"];
  return (answer.body.errors ?? []).map((error) => error.extensions?.code ?? "no code");
}

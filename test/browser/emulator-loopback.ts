/**
 * A loopback redirect target like the one `aws sso login` (CLI v2) listens on: a real HTTP server on
 * 127.0.0.1 and an ephemeral port that hands each callback's query to the test waiting for it and
 * shows the browser a plain "signed in" page.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackCallback {
  /** `http://127.0.0.1:PORT/oauth/callback`, the redirect URI to register. */
  url: string;
  /** How many requests reached the server, on any path. */
  readonly requests: number;
  /** The query of the next callback (one already received and not yet taken comes first). */
  next(): Promise<URLSearchParams>;
  close(): Promise<void>;
}

export const CALLBACK_PATH = "/oauth/callback";

export async function startLoopbackCallback(): Promise<LoopbackCallback> {
  const received: URLSearchParams[] = [];
  const waiting: ((query: URLSearchParams) => void)[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== CALLBACK_PATH) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", connection: "close" });
    res.end('<!doctype html><title>Callback</title><p id="callback">Callback received. You can close this window.</p>');
    const take = waiting.shift();
    if (take !== undefined) take(url.searchParams);
    else received.push(url.searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    get requests() {
      return requests;
    },
    next: () => {
      const ready = received.shift();
      return ready !== undefined ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

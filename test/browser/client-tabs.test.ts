/**
 * The example client's TokenManager in real Chromium tabs: Chromium's own navigator.locks and
 * BroadcastChannel, pages of one origin. The client is bundled with esbuild as a frontend would
 * bundle it; the "gateway" is a route of the page's own server that counts RefreshTokens and
 * answers when the test says, so the test decides what happens mid-refresh.
 *
 * A closed leader's refresh may have reached the gateway: the follower then presents the same,
 * rotated, refresh token again, and only the gateway's grace window (REFRESH_GRACE_SECONDS, 30)
 * turns that into the same successor instead of INVALID_GRANT; the fake route answers likewise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeNeeding } from "../support/test-dependencies.js";
import { chromiumDependency, launchChromium } from "./chromium.js";

let bundle = "";
let server: Server;
let origin = "";
let browser: Browser;
/** One profile: tabs of one origin share locks and channels only within a browser context. */
let context: BrowserContext;
/** Refresh tokens sent with RefreshTokens, in order. */
const refreshTokensSent: string[] = [];
/** Answers held back: called with nothing, each answers its request with a new token set. */
const held: (() => void)[] = [];
let holdAnswers = false;

function tokenSet(label: string) {
  const issuedAt = Date.now();
  return {
    accessToken: `access-${label}`, tokenType: "Bearer", expiresIn: 3600, refreshToken: `refresh-${label}`, idToken: null,
    issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid"], awsAdditionalDetails: null,
    clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222",
    issuedAt: new Date(issuedAt).toISOString(), expiresAt: new Date(issuedAt + 3_600_000).toISOString(), secondsRemaining: 3600,
    isAwsToken: false, canRefresh: true, idTokenClaims: null,
  };
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  if (request.url === "/client.js") {
    response.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    return;
  }
  if (request.url === "/graphql") {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const { variables } = JSON.parse(body) as { variables: { input: { refreshToken: string } } };
      refreshTokensSent.push(variables.input.refreshToken);
      const answer = () => {
        // Rotation: the gateway's grace window answers a token presented again with the same successor.
        const label = `after-${variables.input.refreshToken}`;
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { refreshToken: tokenSet(label) } }));
      };
      if (holdAnswers) held.push(answer);
      else answer();
    });
    return;
  }
  response.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><script type="module" src="/client.js"></script>`);
}

beforeAll(async () => {
  const result = await build({
    stdin: {
      contents: `import { TokenManager } from "./examples/client/src/index.ts"; globalThis.TokenManager = TokenManager;`,
      resolveDir: process.cwd(), loader: "ts",
    },
    bundle: true, format: "esm", write: false, platform: "browser",
  });
  bundle = result.outputFiles[0]!.text;
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  context = await browser.newContext();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** A tab holding `tokens`, its manager on `channelName` with Chromium's locks. */
async function openTab(channelName: string, tokens: ReturnType<typeof tokenSet>, followerTimeoutMs = 15_000): Promise<Page> {
  const page = await context.newPage();
  await page.goto(origin);
  await page.waitForFunction(() => "TokenManager" in globalThis);
  await page.evaluate(
    ({ endpoint, channelName, tokens, followerTimeoutMs }) => {
      const Manager = (globalThis as unknown as { TokenManager: new (options: object) => { setTokens(t: unknown): void } }).TokenManager;
      const manager = new Manager({ endpoint, channelName, followerTimeoutMs });
      manager.setTokens(tokens);
      (globalThis as unknown as { manager: unknown }).manager = manager;
    },
    { endpoint: `${origin}/graphql`, channelName, tokens, followerTimeoutMs },
  );
  return page;
}

const refreshIn = (page: Page) =>
  page.evaluate(async () => {
    const manager = (globalThis as unknown as { manager: { refresh(): Promise<{ accessToken: string }> } }).manager;
    return (await manager.refresh()).accessToken;
  });

describeNeeding(chromiumDependency(), "TokenManager in Chromium tabs (Web Locks, BroadcastChannel)", () => {
  it("three tabs refreshing at once send one RefreshTokens, and all hold its result", async () => {
    refreshTokensSent.length = 0;
    const first = tokenSet("three");
    const tabs = await Promise.all([0, 1, 2].map(() => openTab("three-tabs", first)));
    const results = await Promise.all(tabs.map(refreshIn));
    expect(refreshTokensSent).toEqual(["refresh-three"]);
    expect(results).toEqual(["access-after-refresh-three", "access-after-refresh-three", "access-after-refresh-three"]);
    await Promise.all(tabs.map((tab) => tab.close()));
  });

  it("a leader tab closed mid-refresh releases the lock: the other tab refreshes itself and gets tokens", async () => {
    refreshTokensSent.length = 0;
    const first = tokenSet("closed");
    const leader = await openTab("closed-leader", first, 300);
    const follower = await openTab("closed-leader", first, 300);
    holdAnswers = true;
    void refreshIn(leader).catch(() => undefined);
    await expect.poll(() => refreshTokensSent.length).toBe(1);
    const following = refreshIn(follower);
    await leader.close();
    holdAnswers = false;
    await expect.poll(() => refreshTokensSent.length).toBe(2);
    expect(await following).toBe("access-after-refresh-closed");
    expect(refreshTokensSent).toEqual(["refresh-closed", "refresh-closed"]);
    for (const answer of held.splice(0)) answer();
    await follower.close();
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";
import { describeNeeding } from "../support/test-dependencies.js";
import { chromiumDependency, launchChromium } from "./chromium.js";

/**
 * The explorer in a real headless Chromium against the real gateway (embedded emulator): the
 * page renders from the gateway's own assets, a JWT-bearer exchange runs with an assertion the
 * page fetched itself, and no request leaves the machine.
 */

const SCREENSHOT = "/tmp/idc-explorer.png";

let gateway: GatewayProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const requests: Request[] = [];
const consoleErrors: string[] = [];
/** Every assertion, code, verifier and token the page was handed (by the emulator routes or the gateway). */
const secretsShown = new Set<string>();
const SECRET_FIELDS = new Set(["assertion", "code", "codeVerifier", "accessToken", "refreshToken", "idToken"]);

function collectSecrets(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  for (const [key, field] of Object.entries(value)) {
    if (SECRET_FIELDS.has(key) && typeof field === "string" && field.length >= 16) secretsShown.add(field);
    else collectSecrets(field);
  }
}

/** The page's Web Storage (the test's TypeScript has no DOM library). */
interface PageStorage {
  localStorage: Record<string, string> & { setItem(key: string, value: string): void };
  sessionStorage: Record<string, string>;
}

/** localStorage and sessionStorage of the page's origin, every key and value. */
async function browserStorage(): Promise<string> {
  return page.evaluate(() => {
    const { localStorage, sessionStorage } = globalThis as unknown as PageStorage;
    return JSON.stringify({ local: Object.entries(localStorage), session: Object.entries(sessionStorage) });
  });
}

interface CapturedRun {
  sent: { operationName: string; variables: Record<string, unknown> };
  body: { data?: Record<string, unknown>; errors?: unknown[] };
}

/** Clicks Run on the current tab and returns what the page sent and what the gateway answered. */
async function runAndCapture(operationName: string): Promise<CapturedRun> {
  // The first POST to /graphql after the click is the run: if it is not the expected operation, say
  // what it was instead of waiting for one that will never come.
  const response = page.waitForResponse((candidate) => candidate.url() === gateway.url && candidate.request().method() === "POST");
  await page.locator(".graphiql-execute-button").click();
  const answered = await response;
  const sent = JSON.parse(answered.request().postData() ?? "{}") as CapturedRun["sent"];
  const body = (await answered.json()) as CapturedRun["body"];
  expect({ status: answered.status(), operationName: sent.operationName }, JSON.stringify(body)).toEqual({ status: 200, operationName });
  return { sent, body };
}

describeNeeding(chromiumDependency(), "explorer in headless Chromium", () => {
  beforeAll(async () => {
    [gateway, browser] = await Promise.all([startGateway({ env: { NODE_ENV: "development" } }), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    // Context-wide: also records what the Monaco workers fetch.
    context.on("request", (request) => requests.push(request));
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    page.on("response", (response) => {
      if (response.request().method() !== "POST") return;
      response.json().then(collectSecrets, () => undefined);
    });
    await page.goto(gateway.url);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it("renders GraphiQL with one example tab per grant and the gateway query", async () => {
    await page.locator(".graphiql-container").waitFor({ timeout: 60_000 });
    const tabs = page.locator(".graphiql-tab");
    await expect.poll(() => tabs.allInnerTexts(), { timeout: 20_000 }).toEqual([
      "JwtBearer", "AuthorizationCode", "Refresh", "TokenExchange", "GatewayInfo",
    ]);
    expect(await page.title()).toBe("idc-token-gateway explorer");
  });

  it("runs a JWT-bearer exchange with an assertion from the page's button and shows expiresAt in the result pane", async () => {
    const assertionResponse = page.waitForResponse((response) => response.url().endsWith("/_explorer/emulator/assertion"));
    await page.getByRole("button", { name: "Get a test assertion" }).click();
    const { assertion } = (await (await assertionResponse).json()) as { assertion: string };
    expect(assertion).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    const graphqlResponse = page.waitForResponse(
      (response) => response.url() === gateway.url && response.request().method() === "POST" && (response.request().postData() ?? "").includes("JwtBearer"),
    );
    await page.locator(".graphiql-execute-button").click();
    const response = await graphqlResponse;
    const sent = JSON.parse(response.request().postData() ?? "{}") as { operationName: string; variables: { assertion: string } };
    expect(sent.operationName).toBe("JwtBearer");
    expect(sent.variables.assertion).toBe(assertion);
    expect(response.request().headers()["content-type"]).toBe("application/json");

    const body = (await response.json()) as { data: { createTokenWithIAM: { expiresAt: string; isAwsToken: boolean } } };
    const { expiresAt } = body.data.createTokenWithIAM;
    expect(expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    await expect
      // Monaco renders spaces as no-break spaces: compare with whitespace collapsed.
      .poll(async () => (await page.locator(".result-window").innerText()).replace(/\s+/g, " "), { timeout: 15_000 })
      .toContain(`"expiresAt": "${expiresAt}"`);
    await page.screenshot({ path: SCREENSHOT });
  });

  it("runs the authorization-code (PKCE) example and then the refresh example from the Emulator panel", async () => {
    await page.getByRole("button", { name: "Show Emulator" }).click();
    await page.locator(".graphiql-tab", { hasText: "AuthorizationCode" }).click();
    const codeResponse = page.waitForResponse((response) => response.url().endsWith("/_explorer/emulator/authorization-code"));
    await page.getByRole("button", { name: "Authorization code (PKCE)" }).click();
    const issued = (await (await codeResponse).json()) as { code: string; codeVerifier: string; redirectUri: string };
    await expect.poll(() => page.getByRole("status").innerText()).toBe(
      "Authorization code (PKCE): put code, codeVerifier, redirectUri into the variables",
    );

    const exchanged = await runAndCapture("AuthorizationCode");
    expect(exchanged.sent.variables).toEqual(issued);
    const codeResult = exchanged.body.data?.createTokenWithIAM as { refreshToken: string; expiresAt: string };
    expect(codeResult.expiresAt).toMatch(/^\d{4}-/);

    await page.locator(".graphiql-tab", { hasText: "Refresh" }).click();
    await page.getByRole("button", { name: "Tokens from last exchange" }).click();
    const refreshed = await runAndCapture("Refresh");
    expect(refreshed.sent.variables).toMatchObject({ refreshToken: codeResult.refreshToken });
    expect(refreshed.body.errors).toBeUndefined();
    expect((refreshed.body.data?.refreshToken as { canRefresh: boolean }).canRefresh).toBe(true);
  });

  it("made every request to the gateway's own origin and loaded its bundle and Monaco workers from there", () => {
    const origin = new URL(gateway.url).origin;
    const urls = requests.map((request) => request.url());
    const elsewhere = urls.filter((url) => !url.startsWith("data:") && new URL(url).origin !== origin);
    expect(elsewhere).toEqual([]);
    for (const url of urls.filter((candidate) => !candidate.startsWith("data:"))) {
      expect(["localhost", "127.0.0.1"]).toContain(new URL(url).hostname);
    }
    expect(urls).toEqual(expect.arrayContaining([
      `${origin}/_explorer/assets/explorer.js`,
      `${origin}/_explorer/assets/explorer.css`,
      `${origin}/_explorer/assets/editor.worker.js`,
    ]));
  });

  it("logged no script error and no Content-Security-Policy violation in the page", () => {
    expect(consoleErrors).toEqual([]);
  });

  it("keeps none of the assertions, codes and tokens it was handed in the browser's storage (GraphiQL's default put every tab's variables in localStorage)", async () => {
    // The earlier tests fetched an assertion and a PKCE code, and ran exchanges and a refresh with them.
    expect(secretsShown.size).toBeGreaterThanOrEqual(5);
    const stored = await browserStorage();
    expect([...secretsShown].filter((secret) => stored.includes(secret))).toEqual([]);
    expect(JSON.parse(stored)).toEqual({ local: [], session: [] });
  });

  it("forgets on load what an earlier explorer left in localStorage", async () => {
    await page.evaluate(() => {
      const { localStorage } = globalThis as unknown as PageStorage;
      localStorage.setItem("graphiql:variables", JSON.stringify({ refreshToken: "aorAAAAAG-left-by-an-earlier-explorer" }));
      localStorage.setItem("graphiql:queries", JSON.stringify({ queries: [{ variables: "{\"assertion\":\"eyJ-left-behind\"}" }] }));
      localStorage.setItem("another-app:setting", "kept");
    });
    await page.reload();
    await page.locator(".graphiql-container").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator(".graphiql-tab").count(), { timeout: 20_000 }).toBe(5);
    expect(JSON.parse(await browserStorage())).toEqual({ local: [["another-app:setting", "kept"]], session: [] });
  });

  it("refuses to be framed by another site (a transparent frame let an attacker's page click Run), and is neither sniffed, cached nor a Referer", async () => {
    const framing = `<!doctype html><title>win a prize</title><iframe id="explorer" src="${gateway.url}" style="opacity:0.05;width:1200px;height:800px"></iframe>`;
    const hostile: Server = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(framing));
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    const attacker = await browser.newContext();
    try {
      const attackerPage = await attacker.newPage();
      const pageResponse = attackerPage.waitForResponse((response) => response.url() === gateway.url);
      await attackerPage.goto(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
      // Long enough for the bundle to load and GraphiQL to render, had the frame been allowed (it renders in ~1 s).
      await attackerPage.waitForTimeout(4_000);
      expect(await attackerPage.frameLocator("#explorer").locator(".graphiql-execute-button").count()).toBe(0);
      const headers = (await pageResponse).headers();
      expect(headers).toMatchObject({
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
      });
      expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    } finally {
      await attacker.close();
      await new Promise((resolve) => hostile.close(resolve));
    }
  });
});

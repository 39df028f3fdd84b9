/**
 * The emulator's developer API (/_emulator/…) against another origin's page in real Chromium. It
 * reads plain-text bodies (curl -d), so a page can reach it with a no-cors request and no
 * preflight: blind, but a review's page injected a fault that broke the developer's gateway with
 * one POST /_emulator/faults, and POST /_emulator/reset would have revoked every token. Requests a
 * browser says came from another origin are refused; programs (no Origin, no Sec-Fetch-Site) and
 * the address bar are served as before.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeNeeding } from "../support/test-dependencies.js";
import { emulatorForFile } from "../emulator/signin-http.js";
import { chromiumDependency, launchChromium } from "./chromium.js";

describeNeeding(chromiumDependency(), "emulator developer API and other origins' pages", () => {
  const emulator = emulatorForFile();
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let hostile: Server;

  beforeAll(async () => {
    hostile = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>cat pictures</title>"));
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => hostile?.close(resolve));
  });

  /** A no-cors request from the hostile page (a plain-text body, as a simple request allows); the status Chromium saw. */
  async function fromHostilePage(method: string, path: string, body?: string): Promise<number> {
    await page.goto(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
    const url = `${emulator.h.url}${path}`;
    const answered = page.waitForResponse((response) => response.url() === url);
    await page.evaluate(([url, method, body]) => {
      void fetch(url!, { method, mode: "no-cors", ...(body === undefined ? {} : { body }) });
    }, [url, method, body] as const);
    return (await answered).status();
  }

  it("refuses another origin's page: no fault is injected, nothing is reset, no assertion is minted", async () => {
    expect(await fromHostilePage("POST", "/_emulator/faults", JSON.stringify({ dropConnection: true }))).toBe(403);
    expect(await fromHostilePage("POST", "/_emulator/assertions", JSON.stringify({ sub: "mallory" }))).toBe(403);
    expect(await fromHostilePage("POST", "/_emulator/reset")).toBe(403);
    // No fault was added: the emulator still answers CreateTokenWithIAM.
    const cleared = (await (await fetch(`${emulator.h.url}/_emulator/faults`, { method: "DELETE" })).json()) as { cleared: number };
    expect(cleared).toEqual({ cleared: 0 });
  });

  it("still serves programs with plain-text bodies (curl -d) and the developer's address bar", async () => {
    const minted = await fetch(`${emulator.h.url}/_emulator/assertions`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ sub: "alice" }) });
    expect(minted.status).toBe(200);
    const typed = await page.goto(`${emulator.h.url}/_emulator/health`);
    expect(typed?.status()).toBe(200);
    expect(await typed?.json()).toEqual({ status: "ok" });
  });
});

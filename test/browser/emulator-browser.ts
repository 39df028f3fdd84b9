/**
 * Chromium and a loopback callback for the emulator's sign-in page tests: one browser and one
 * callback server per file, a fresh context and page per test, and after each test the check that
 * every request the browser made stayed on the emulator or the callback (the pages load nothing
 * from elsewhere).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { TestEmulator } from "../support/emulator-harness.js";
import { launchChromium } from "./chromium.js";
import { startLoopbackCallback, type LoopbackCallback } from "./emulator-loopback.js";

export interface SigninBrowser {
  readonly page: Page;
  readonly callback: LoopbackCallback;
}

/** Registers the hooks; `emulator` is read after each test for the request check. */
export function useSigninBrowser(emulator: () => TestEmulator): SigninBrowser {
  let browser: Browser;
  let context: BrowserContext;
  const state: { page?: Page; callback?: LoopbackCallback } = {};
  let requested: string[] = [];
  beforeAll(async () => {
    [state.callback, browser] = await Promise.all([startLoopbackCallback(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await state.callback?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    requested = [];
    context.on("request", (request) => requested.push(request.url()));
    state.page = await context.newPage();
  });
  afterEach(async () => {
    const elsewhere = requested.filter((url) => !url.startsWith(`${emulator().url}/`) && !url.startsWith(state.callback!.url));
    expect(elsewhere).toEqual([]);
    await context.close();
  });
  return {
    get page() {
      return state.page!;
    },
    get callback() {
      return state.callback!;
    },
  };
}

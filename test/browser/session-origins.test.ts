import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../support/gateway-process.js";
import { describeNeeding, probeSharedRedis } from "../support/test-dependencies.js";
import { chromiumDependency } from "./chromium.js";
import { REFRESH_SESSION, SESSION, SESSION_COOKIE, SIGN_OUT_EVERYWHERE, sessionIdIn, sessionOf, signIn } from "./session-operations.js";
import { callFromPage, dataOf, startPageServer, type PageServer } from "./session-page.js";
import { openApp, startSessionWorld, type SessionWorld } from "./session-topology.js";

/**
 * Pages of other origins, open in the same browser as a signed-in app page, try to use its session:
 * http://localhost:<port> (another site: the SameSite=Strict cookie is not even sent) and
 * http://127.0.0.1:<port> not in CORS_ORIGINS (the same site: the cookie is sent, so the gateway's
 * CORS, Apollo's CSRF prevention and the x-idc-csrf check are what stop it). Nothing they do
 * reads, renews or ends the session.
 */
const dependencies = [chromiumDependency(), await probeSharedRedis()];

let world: SessionWorld;
let gateway: GatewayProcess;
let foreign: PageServer;
let context: BrowserContext;
let app: Page;

/** What another origin's page may do: the session's id, its answer and the upstream count must not move. */
async function expectSessionUntouched(during: () => Promise<void>): Promise<void> {
  const idBefore = await sessionIdIn(context);
  const callsBefore = await world.upstreamCalls();
  await during();
  expect((await sessionIdIn(context)) === idBefore).toBe(true);
  expect(await world.upstreamCalls()).toBe(callsBefore);
  expect(await sessionOf(app, gateway)).toMatchObject({ authenticated: true, subject: "victim" });
}

/** A tab of the app's browser on another origin's page. */
async function foreignTab(origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(origin);
  return page;
}

/** Submits a text/plain form (what any site can send without CORS) carrying `query` as a JSON body, and returns the gateway's answer to the navigation. */
async function postFormFrom(page: Page, query: string): Promise<{ status: number; codes: string[]; carriedSessionCookie: boolean }> {
  const answered = page.waitForResponse((response) => response.url() === gateway.url);
  await page.evaluate(
    ([action, operation]) => {
      const doc = (globalThis as any).document;
      const form = doc.createElement("form");
      Object.assign(form, { method: "POST", action, enctype: "text/plain" });
      const input = doc.createElement("input");
      // text/plain sends name=value: the name opens the JSON, the value closes it.
      Object.assign(input, { type: "hidden", name: `{"query":${JSON.stringify(operation)},"padding":"`, value: '"}' });
      form.append(input);
      doc.body.append(form);
      form.submit();
    },
    [gateway.url, query] as const,
  );
  const response = await answered;
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  expect(body.data).toBeUndefined();
  // A form can send no JSON: refused as every other content type, before its body is read.
  expect(body.errors?.[0]?.message).toMatch(/^Unsupported content type: send the operation as application\/json/);
  const cookieHeader = (await response.request().headerValue("cookie")) ?? "";
  return { status: response.status(), codes: (body.errors ?? []).map((error) => error.extensions?.code ?? "no code"), carriedSessionCookie: cookieHeader.includes(`${SESSION_COOKIE}=`) };
}

describeNeeding(dependencies, "session mode in Chromium: pages of other origins", () => {
  beforeAll(async () => {
    [world, foreign] = await Promise.all([startSessionWorld({ label: "session-origins", gateways: 1 }), startPageServer()]);
    gateway = world.gateways[0]!;
    ({ context, page: app } = await openApp(world));
    dataOf(await signIn(world, app, gateway, "victim"));
  }, 60_000);

  afterAll(async () => {
    await foreign?.stop();
    await world?.stop();
  });

  for (const [what, host] of [["another site (localhost)", "localhost"], ["an unlisted origin of the same site (127.0.0.1)", "127.0.0.1"]] as const) {
    it(`refuses session and refreshSession with credentials to a page from ${what}: the browser's CORS check fails the fetch`, async () => {
      const page = await foreignTab(`http://${host}:${foreign.port}`);
      await expectSessionUntouched(async () => {
        for (const operation of [SESSION, REFRESH_SESSION]) {
          expect(await callFromPage(page, gateway.url, operation)).toEqual({ networkError: "TypeError: Failed to fetch" });
        }
      });
      await page.close();
    });

    it(`refuses a form POST (text/plain) of signOutEverywhere and refreshSession from a page of ${what} (not JSON: 415 BAD_REQUEST before the body is read)`, async () => {
      const origin = `http://${host}:${foreign.port}`;
      const page = await foreignTab(origin);
      await expectSessionUntouched(async () => {
        for (const operation of [SIGN_OUT_EVERYWHERE, REFRESH_SESSION]) {
          // A top-level POST from the same site carries the SameSite=Strict cookie; from another site it does not.
          expect(await postFormFrom(page, operation)).toEqual({ status: 415, codes: ["BAD_REQUEST"], carriedSessionCookie: host === "127.0.0.1" });
          await page.goto(origin);
        }
      });
      await page.close();
    });
  }
});

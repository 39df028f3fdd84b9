/**
 * DNS rebinding in real Chromium: a page at http://rebound.test:<port>, a name whose DNS the attacker
 * points at 127.0.0.1 once the page has loaded (here Chromium's --host-resolver-rules does it from the
 * start), is the same origin as the gateway or emulator listening there. Its requests come from this
 * machine's loopback address and carry Origin and Host that agree, so "same origin" and "a caller on
 * this machine" both held: the page minted test assertions from the emulator's developer API and from
 * the explorer's routes and read them. Both now answer a browser only at a name DNS cannot rebind
 * (localhost, *.localhost) or an address; the same requests at localhost are served as before.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";
import { describeNeeding } from "../support/test-dependencies.js";
import { chromiumDependency, launchChromium } from "./chromium.js";

const REBOUND = "rebound.test";

describeNeeding(chromiumDependency(), "DNS rebinding against the emulator's developer API and the explorer's test credentials", () => {
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    gateway = await startGateway();
    browser = await launchChromium([`--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`]);
    page = await (await browser.newContext()).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  const portOf = (url: string) => new URL(url).port;

  /** Opens `landing` at http://<host>:<port> and POSTs JSON to `path` from that page (same origin): status and body the page read. */
  async function postFromPageAt(host: string, port: string, landing: string, path: string, body: object): Promise<{ status: number; text: string }> {
    await page.goto(`http://${host}:${port}${landing}`);
    return page.evaluate(async ([path, body]) => {
      const response = await fetch(path!, { method: "POST", headers: { "content-type": "application/json" }, body: body! });
      return { status: response.status, text: await response.text() };
    }, [path, JSON.stringify(body)] as const);
  }

  it("a page at a rebound name gets no assertion from the emulator's developer API; at localhost it does", async () => {
    const port = portOf(gateway.emulatorUrl!);
    const rebound = await postFromPageAt(REBOUND, port, "/_emulator/health", "/_emulator/assertions", { sub: "mallory" });
    expect(rebound.status).toBe(403);
    expect(rebound.text).toContain("DNS rebinding");
    expect(rebound.text).not.toContain("assertion\"");
    const local = await postFromPageAt("localhost", port, "/_emulator/health", "/_emulator/assertions", { sub: "alice" });
    expect(local.status).toBe(200);
    expect(JSON.parse(local.text)).toMatchObject({ assertion: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
  });

  it("a page at a rebound name gets no test credential from the explorer's routes; at localhost it does", async () => {
    const port = portOf(gateway.url);
    for (const path of ["/_explorer/emulator/assertion", "/_explorer/emulator/authorization-code"]) {
      const rebound = await postFromPageAt(REBOUND, port, "/healthz", path, { sub: "mallory" });
      expect(rebound.status, path).toBe(403);
      expect(rebound.text, path).toContain("address it as localhost");
    }
    const local = await postFromPageAt("localhost", port, "/healthz", "/_explorer/emulator/assertion", { sub: "alice" });
    expect(local.status).toBe(200);
    expect(JSON.parse(local.text)).toEqual({ assertion: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
  });
});

import { createHash } from "node:crypto";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { createExplorerAssetSource, registerExplorerAssetsRoute } from "../../../src/server/explorer/explorer-assets.route.js";
import type { ExplorerAssets } from "../../../src/server/explorer/explorer-bundle.js";
import { EXPLORER_CONTENT_SECURITY_POLICY } from "../../../src/server/explorer/explorer-page.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { capturingLogger, fakeTokenService, testConfig } from "../../unit/server/server-fixtures.js";

/**
 * The explorer's HTTP surface without a browser: when the page is served (and when not), what the
 * page is made of, the test-credential routes in front of the embedded emulator, and asset caching.
 */

const SECRET = "s".repeat(32);
const servers: GatewayServer[] = [];
let emulator: TestEmulator;
let embeddedUrl: string;
let upstreamUrl: string;
let offUrl: string;

async function start(explorer: boolean, emulatorUrl?: string): Promise<string> {
  const server = await createGatewayServer({
    config: testConfig({ explorer }),
    tokenService: fakeTokenService(() => {
      throw new Error("no exchange in these tests");
    }).tokenService,
    logger: capturingLogger().logger,
    upstreamLabel: "fake",
    ...(emulatorUrl === undefined ? {} : { emulatorUrl }),
  });
  servers.push(server);
  return (await server.listen(0, "127.0.0.1")).url;
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  [embeddedUrl, upstreamUrl, offUrl] = await Promise.all([start(true, emulator.url), start(true), start(false)]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await emulator?.stop();
});

const origin = (url: string) => new URL(url).origin;
const openInBrowser = (url: string) => fetch(url, { headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });
const postJson = (url: string, body: unknown, contentType = "application/json") =>
  fetch(url, { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) });

function pageConfig(html: string): unknown {
  const match = html.match(/<script id="explorer-config" type="application\/json">(.*?)<\/script>/);
  return JSON.parse(match?.[1] ?? "null");
}

describe("EXPLORER configuration", () => {
  it("is on outside production, off in production unless EXPLORER=true", () => {
    expect(loadConfig({ NODE_ENV: "development" }).explorer).toBe(true);
    expect(loadConfig({ NODE_ENV: "test" }).explorer).toBe(true);
    expect(loadConfig({ NODE_ENV: "production", GATEWAY_SECRET: SECRET, UPSTREAM: "aws" }).explorer).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", GATEWAY_SECRET: SECRET, UPSTREAM: "aws", EXPLORER: "true" }).explorer).toBe(true);
    expect(loadConfig({ EXPLORER: "false" }).explorer).toBe(false);
  });
});

describe("explorer page", () => {
  it("is served to a browser at the GraphQL endpoint, loading only the gateway's own assets under a self-only CSP", async () => {
    const response = await openInBrowser(embeddedUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html");
    const html = await response.text();
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${EXPLORER_CONTENT_SECURITY_POLICY}">`);
    expect(EXPLORER_CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'",
    );
    expect(html).not.toMatch(/https?:\/\//);
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1])).toEqual([
      "data:,",
      "/_explorer/assets/explorer.css",
      "/_explorer/assets/explorer.js",
    ]);
    expect(pageConfig(html)).toEqual({ endpoint: "/graphql", assetsPath: "/_explorer/assets", emulatorPath: "/_explorer/emulator" });
  });

  it("offers no emulator tools when the gateway talks to a configured upstream", async () => {
    const html = await (await openInBrowser(upstreamUrl)).text();
    expect(pageConfig(html)).toEqual({ endpoint: "/graphql", assetsPath: "/_explorer/assets", emulatorPath: null });
    const response = await postJson(`${origin(upstreamUrl)}/_explorer/emulator/assertion`, {});
    expect(response.status).toBe(404);
  });

  it("leaves JSON clients untouched: a GET query with the preflight header still answers JSON", async () => {
    const response = await fetch(`${embeddedUrl}?query=${encodeURIComponent("{ gateway { region } }")}`, {
      headers: { accept: "application/json", "apollo-require-preflight": "true" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { gateway: { region: "eu-west-1" } } });
  });

  it("is not served when EXPLORER is off, and neither are its assets", async () => {
    const response = await openInBrowser(offUrl);
    expect(response.headers.get("content-type")).not.toContain("text/html");
    expect(await response.text()).not.toContain("explorer");
    expect((await fetch(`${origin(offUrl)}/_explorer/assets/explorer.js`)).status).toBe(404);
    expect((await postJson(`${origin(offUrl)}/_explorer/emulator/assertion`, {})).status).toBe(404);
  });
});

describe("explorer test credentials (embedded emulator)", () => {
  it("returns an assertion from the emulator's trusted issuer for the requested user", async () => {
    const response = await postJson(`${origin(embeddedUrl)}/_explorer/emulator/assertion`, { sub: "bob" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { assertion } = (await response.json()) as { assertion: string };
    const claims = JSON.parse(Buffer.from(assertion.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub: string };
    expect(claims.sub).toBe("bob");
  });

  it("returns an authorization code with a PKCE verifier that the emulator accepts once", async () => {
    const response = await postJson(`${origin(embeddedUrl)}/_explorer/emulator/authorization-code`, {});
    const issued = (await response.json()) as { code: string; codeVerifier: string; redirectUri: string };
    expect(Object.keys(issued).sort()).toEqual(["code", "codeVerifier", "redirectUri"]);
    expect(issued.redirectUri).toBe("http://localhost:4000/callback");
    expect(issued.codeVerifier).toMatch(/^[\w-]{43}$/);
    const tokens = await emulator.createTokenWithIAM({ grantType: "authorization_code", code: issued.code, codeVerifier: issued.codeVerifier, redirectUri: issued.redirectUri });
    expect(tokens.accessToken).toEqual(expect.any(String));
  });

  it("accepts JSON bodies only and bounds the user name", async () => {
    const base = `${origin(embeddedUrl)}/_explorer/emulator/assertion`;
    expect((await postJson(base, "sub=alice", "application/x-www-form-urlencoded")).status).toBe(415);
    expect((await postJson(base, "{}", "text/plain")).status).toBe(415);
    const tooLong = await postJson(base, { sub: "x".repeat(129) });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({ error: "sub must be a string of 1 to 128 characters" });
  });
});

describe("explorer assets route", () => {
  const assets: ExplorerAssets = new Map([["explorer.js", { contentType: "text/javascript; charset=utf-8", body: Buffer.from("console.log(1)") }]]);

  it("serves known files with an ETag, answers 304 to a matching If-None-Match, 404 otherwise", async () => {
    const app = Fastify();
    let loads = 0;
    registerExplorerAssetsRoute(app, createExplorerAssetSource(capturingLogger().logger, async () => (loads += 1, { assets, source: "prebuilt" })));
    try {
      const first = await app.inject({ url: "/_explorer/assets/explorer.js" });
      expect(first.statusCode).toBe(200);
      expect(first.headers["content-type"]).toBe("text/javascript; charset=utf-8");
      expect(first.body).toBe("console.log(1)");
      const etag = `"${createHash("sha256").update("console.log(1)").digest("base64url").slice(0, 27)}"`;
      expect(first.headers.etag).toBe(etag);
      expect((await app.inject({ url: "/_explorer/assets/explorer.js", headers: { "if-none-match": etag } })).statusCode).toBe(304);
      expect((await app.inject({ url: "/_explorer/assets/nope.js" })).statusCode).toBe(404);
      expect(loads).toBe(1);
    } finally {
      await app.close();
    }
  });

  it("logs a failed build, answers 500, and builds again on the next request", async () => {
    const app = Fastify();
    const log = capturingLogger();
    let attempts = 0;
    const load = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("esbuild exploded");
      return { assets, source: "bundled" as const };
    };
    registerExplorerAssetsRoute(app, createExplorerAssetSource(log.logger, load));
    try {
      expect((await app.inject({ url: "/_explorer/assets/explorer.js" })).statusCode).toBe(500);
      expect((await app.inject({ url: "/_explorer/assets/explorer.js" })).statusCode).toBe(200);
      expect(attempts).toBe(2);
      expect(log.lines().map((line) => line.msg)).toEqual(["explorer assets could not be built", "explorer assets ready"]);
    } finally {
      await app.close();
    }
  });
});

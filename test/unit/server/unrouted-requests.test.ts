import { afterEach, describe, expect, it } from "vitest";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { capturingLogger, fakeTokenService, testConfig } from "./server-fixtures.js";

/**
 * Requests no route serves are answered before their body is read (unrouted-requests.ts): an invalid
 * JSON body sent there gets the route's refusal, never "not valid JSON", so no parser ran for it.
 * Before, fastify parsed such bodies for its 404 handler at any rate, outside the per-caller limit.
 */
const servers: GatewayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(cors: { origins: string[]; allowLocalhost: boolean } = { origins: [], allowLocalhost: false }): Promise<string> {
  const { tokenService } = fakeTokenService(() => {
    throw new Error("no exchange in these tests");
  });
  const server = await createGatewayServer({ config: testConfig({ cors }), tokenService, logger: capturingLogger().logger, upstreamLabel: "fake" });
  servers.push(server);
  return new URL((await server.listen(0, "127.0.0.1")).url).origin;
}

const NOT_JSON = "{ not json";
const send = (url: string, method: string, headers: Record<string, string> = {}) =>
  fetch(url, { method, headers: { "content-type": "application/json", ...headers }, body: NOT_JSON });

describe("requests no route serves", () => {
  it.each([
    ["POST", "/nope"],
    ["POST", "/healthz"],
    ["PUT", "/graphql"],
    ["DELETE", "/graphql"],
    ["PATCH", "/readyz"],
  ])("%s %s with a JSON body: 404 before the body is parsed", async (method, path) => {
    const origin = await serve();
    const response = await send(`${origin}${path}`, method);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: `Route ${method}:${path} not found`, error: "Not Found", statusCode: 404 });
  });

  it("names the path it does not serve, never the query string: a browser sent back to the default redirect URI (localhost:4000/callback) with its code", async () => {
    const origin = await serve();
    const code = `code-${"q".repeat(8)}-${Date.now()}`;
    const response = await fetch(`${origin}/callback?code=${code}&state=xyz`);
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ message: "Route GET:/callback not found", error: "Not Found", statusCode: 404 });
    expect(text).not.toContain(code);
  });

  it("OPTIONS /graphql with CORS off: 405 naming the methods served, before the body is parsed", async () => {
    const origin = await serve();
    const response = await send(`${origin}/graphql`, "OPTIONS");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
    expect(await response.json()).toMatchObject({ error: "Method Not Allowed", message: expect.stringContaining("CORS_ORIGINS") });
  });

  it("with CORS on, a preflight from an allowed origin is still answered by CORS", async () => {
    const origin = await serve({ origins: ["https://app.example"], allowLocalhost: false });
    const response = await fetch(`${origin}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });

  it("POST /graphql still parses its body: the same invalid JSON is refused as such", async () => {
    const origin = await serve();
    const response = await send(`${origin}/graphql`, "POST");
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("not valid JSON");
  });
});

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/index.js";
import type { GatewayConfig } from "../../../src/config/config.types.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { createStudioOptions } from "../../../src/server/studio.js";
import { capturingLogger, fakeTokenService, testConfig } from "../../unit/server/server-fixtures.js";

/**
 * Apollo Studio: the CORS allowlist (preflights from Studio, a local frontend, an unknown origin),
 * the configuration behind it, and GraphOS reporting that never carries variables or headers.
 */

const STUDIO = "https://studio.apollographql.com";
const SECRET = "s".repeat(32);

const servers: GatewayServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function startWithConfig(config: GatewayConfig): Promise<string> {
  const fake = fakeTokenService(() => {
    throw new Error("no exchange in these tests");
  });
  const server = await createGatewayServer({ config, tokenService: fake.tokenService, logger: capturingLogger().logger, upstreamLabel: "fake" });
  servers.push(server);
  return (await server.listen(0, "127.0.0.1")).url;
}

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,apollographql-client-name" },
  });
}

const corsOf = (env: Record<string, string>) => loadConfig({ GATEWAY_SECRET: SECRET, UPSTREAM: "aws", ...env }).cors;

describe("CORS configuration", () => {
  it("allows Apollo Studio, plus localhost origins outside production, by default", () => {
    expect(corsOf({ NODE_ENV: "development" })).toEqual({ origins: [STUDIO], allowLocalhost: true });
    expect(corsOf({ NODE_ENV: "production" })).toEqual({ origins: [STUDIO], allowLocalhost: false });
  });

  it("replaces the default list with CORS_ORIGINS, and `none` allows no origin", () => {
    expect(corsOf({ CORS_ORIGINS: "https://app.example.com, http://localhost:3000" })).toEqual({
      origins: ["https://app.example.com", "http://localhost:3000"],
      allowLocalhost: false,
    });
    expect(corsOf({ CORS_ORIGINS: "none" })).toEqual({ origins: [], allowLocalhost: false });
  });

  it("refuses an origin with a path, naming the variable and what it accepts", () => {
    expect(() => corsOf({ CORS_ORIGINS: "https://app.example.com/app" })).toThrow(
      new ConfigError(
        "CORS_ORIGINS",
        'CORS_ORIGINS must be a comma-separated list of origins exactly as browsers send them, such as https://app.example.com (scheme://host[:port]: lower-case, no wildcard, no default port, no path), or none (got "https://app.example.com/app")',
      ),
    );
  });
});

describe("CORS preflight", () => {
  let developmentUrl: string;
  let productionUrl: string;
  let noneUrl: string;
  beforeAll(async () => {
    [developmentUrl, productionUrl, noneUrl] = await Promise.all([
      startWithConfig(testConfig({ cors: corsOf({ NODE_ENV: "development" }) })),
      startWithConfig(testConfig({ nodeEnv: "production", cors: corsOf({ NODE_ENV: "production" }) })),
      startWithConfig(testConfig({ cors: corsOf({ CORS_ORIGINS: "none" }) })),
    ]);
  });

  it("allows Apollo Studio's origin with the methods and requested headers, without credentials", async () => {
    const response = await preflight(productionUrl, STUDIO);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(STUDIO);
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(response.headers.get("access-control-allow-headers")).toBe("content-type,apollographql-client-name");
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("gives an unknown origin no Access-Control-Allow-Origin", async () => {
    const response = await preflight(productionUrl, "https://evil.example");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows a localhost frontend in development but not in production", async () => {
    expect((await preflight(developmentUrl, "http://localhost:5173")).headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect((await preflight(developmentUrl, "http://127.0.0.1:8080")).headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8080");
    expect((await preflight(developmentUrl, "http://localhost.evil.example")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await preflight(productionUrl, "http://localhost:5173")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows no origin at all with CORS_ORIGINS=none", async () => {
    expect((await preflight(noneUrl, STUDIO)).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("marks Studio's actual POST as readable by Studio", async () => {
    const response = await fetch(productionUrl, {
      method: "POST",
      headers: { origin: STUDIO, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ gateway { version } }" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(STUDIO);
  });
});

describe("Apollo GraphOS reporting configuration", () => {
  it("is on only with both APOLLO_KEY and APOLLO_GRAPH_REF", () => {
    expect(loadConfig({}).apolloReporting).toBeUndefined();
    expect(loadConfig({ APOLLO_KEY: "service:my-graph:abc", APOLLO_GRAPH_REF: "my-graph@current" }).apolloReporting).toEqual({
      key: "service:my-graph:abc",
      graphRef: "my-graph@current",
    });
  });

  it("refuses one without the other, naming the missing variable", () => {
    expect(() => loadConfig({ APOLLO_KEY: "service:my-graph:abc" })).toThrow(
      new ConfigError("APOLLO_GRAPH_REF", "APOLLO_GRAPH_REF must be set too: APOLLO_KEY and APOLLO_GRAPH_REF enable Apollo GraphOS reporting together"),
    );
    expect(() => loadConfig({ APOLLO_GRAPH_REF: "my-graph@current" })).toThrow(/^APOLLO_KEY must be set too/);
  });

  it("never echoes APOLLO_KEY in a configuration error", () => {
    expect(() => loadConfig({ APOLLO_KEY: "service:my graph:secret-part", APOLLO_GRAPH_REF: "g@v" })).toThrow(/^APOLLO_KEY must be .* \(got \d+ bytes\)$/);
  });

  it("installs Apollo's reporting plugins explicitly disabled without it, so stray APOLLO_* variables do nothing", () => {
    const ids = (plugins: unknown[]) => plugins.map((plugin) => (plugin as { __internal_plugin_id__: string }).__internal_plugin_id__);
    expect(ids(createStudioOptions(undefined).plugins)).toEqual(["UsageReporting", "SchemaReporting"]);
    const on = createStudioOptions({ key: "service:g:k", graphRef: "g@current" });
    expect(on.apollo).toEqual({ key: "service:g:k", graphRef: "g@current" });
    expect(ids(on.plugins)).toEqual(["UsageReporting", "SchemaReporting"]);
  });
});

describe("Apollo GraphOS usage reports", () => {
  const reports: Buffer[] = [];
  let collector: Server;
  let apollo: ApolloServer;
  let url: string;

  beforeAll(async () => {
    collector = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks);
        reports.push(request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body);
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const studio = createStudioOptions(
      { key: "service:test-graph:not-a-real-key", graphRef: "test-graph@current" },
      { usageReportingUrl: `${collectorUrl}/usage`, schemaReportingUrl: `${collectorUrl}/schema` },
    );
    apollo = new ApolloServer({
      typeDefs: "type Query { echo(assertion: String!): Boolean! }",
      resolvers: { Query: { echo: () => true } },
      apollo: studio.apollo!,
      plugins: studio.plugins,
    });
    ({ url } = await startStandaloneServer(apollo, { listen: { port: 0, host: "127.0.0.1" } }));
  });

  afterAll(async () => {
    await apollo?.stop();
    await new Promise<void>((resolve) => collector?.close(() => resolve()));
  });

  it("reports the operation but neither its variables nor its headers", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer HEADER-SECRET-0123456789" },
      body: JSON.stringify({ query: "query Echo($assertion: String!) { echo(assertion: $assertion) }", variables: { assertion: "VARIABLE-SECRET-0123456789" } }),
    });
    expect(response.status).toBe(200);
    await expect.poll(() => reports.some((report) => report.includes("Echo")), { timeout: 10_000 }).toBe(true);
    const everything = Buffer.concat(reports).toString("latin1");
    expect(everything).not.toContain("VARIABLE-SECRET");
    expect(everything).not.toContain("HEADER-SECRET");
  });
});

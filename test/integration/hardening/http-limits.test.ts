import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { graphql, onlyError } from "../../support/gateway-client.js";
import { exchange, rejections, startHardenedGateway, type HardenedGateway } from "./hardening-fixture.js";

/**
 * Limits and refusals at the HTTP layer, each before execution and with no upstream call: body
 * size (413), batching (off), CSRF prevention, mutations over GET, and in production no
 * introspection and no field suggestions. Each request carries a real assertion, so what gets
 * through would reach the emulator.
 */
let emulator: TestEmulator;
let gateway: HardenedGateway;
let production: HardenedGateway;
let assertion: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  gateway = await startHardenedGateway(emulator, { MAX_BODY_BYTES: "4096", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
  production = await startHardenedGateway(emulator, { NODE_ENV: "production", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
  assertion = (await emulator.dev.assertion({ sub: "http-limits" })).assertion;
});
afterEach(async () => {
  await emulator.dev.reset();
});
afterAll(async () => {
  await gateway?.stop();
  await production?.stop();
  await emulator?.stop();
});

const upstreamCalls = async () => (await emulator.dev.stats()).calls.CreateTokenWithIAM;
const mutation = () => `mutation { ${exchange("token", assertion)} }`;

async function post(url: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) {
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("HTTP limits", () => {
  it("answers a body over MAX_BODY_BYTES with HTTP 413 and a JSON PAYLOAD_TOO_LARGE error naming the limit, making no upstream call", async () => {
    const before = await rejections(gateway.metrics, "body_too_large");
    const body = JSON.stringify({ query: mutation(), extensions: { padding: "x".repeat(5000) } });
    const response = await post(gateway.url, body);
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toEqual({
      errors: [{ message: "Request body is larger than 4096 bytes (MAX_BODY_BYTES).", extensions: { code: "PAYLOAD_TOO_LARGE", retryable: false } }],
    });
    expect(await upstreamCalls()).toBe(0);
    expect(await rejections(gateway.metrics, "body_too_large")).toBe(before + 1);
  });

  it.each([
    { what: "an unsupported content type", body: "query=x", headers: { "content-type": "application/xml" }, status: 415, message: "Unsupported content type: send the operation as application/json (or as a GET query string)." },
    { what: "a body that is not JSON", body: "{not json", headers: { "content-type": "application/json" }, status: 400, message: "The request body is not valid JSON." },
    { what: "an empty JSON body", body: "", headers: { "content-type": "application/json" }, status: 400, message: "The request body is empty but its content type is application/json." },
  ])("answers $what with HTTP $status and a GraphQL-shaped BAD_REQUEST, never fastify's internal code", async ({ body, headers, status, message }) => {
    const response = await post(gateway.url, body, headers);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toEqual({ errors: [{ message, extensions: { code: "BAD_REQUEST", retryable: false } }] });
  });

  it("answers a malformed URL with HTTP 400 BAD_REQUEST without echoing it", async () => {
    const response = await fetch(`${gateway.url}%zz-secret-looking-path`);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ message: "The request URL is malformed.", extensions: { code: "BAD_REQUEST", retryable: false } }] });
    expect(text).not.toContain("secret-looking");
  });

  it("accepts a body just under MAX_BODY_BYTES (control: one upstream call)", async () => {
    const body = JSON.stringify({ query: mutation(), extensions: { padding: "x".repeat(1000) } });
    const response = await post(gateway.url, body);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).errors).toBeUndefined();
    expect(await upstreamCalls()).toBe(1);
  });

  it("refuses a batch (a JSON array of operations) with 400 BAD_REQUEST, making no upstream call", async () => {
    const response = await post(gateway.url, JSON.stringify([{ query: mutation() }, { query: mutation() }]));
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/batch/i);
    expect(await upstreamCalls()).toBe(0);
  });

  it("refuses a simple-request POST (text/plain, no preflight) as every non-JSON body, 415, making no upstream call", async () => {
    const response = await post(gateway.url, JSON.stringify({ query: mutation() }), { "content-type": "text/plain" });
    expect(response.status).toBe(415);
    expect(JSON.parse(response.text)).toMatchObject({ errors: [{ extensions: { code: "BAD_REQUEST" } }] });
    expect(response.text).toMatch(/application\/json/);
    expect(await upstreamCalls()).toBe(0);
  });

  it("refuses a GET without a preflight-forcing header as CSRF", async () => {
    const url = `${gateway.url}?query=${encodeURIComponent("{ __typename }")}`;
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
  });

  it("refuses a mutation over GET (even with the preflight header) with 405, making no upstream call", async () => {
    const url = `${gateway.url}?query=${encodeURIComponent(mutation())}`;
    const response = await fetch(url, { headers: { "apollo-require-preflight": "true" } });
    expect(response.status).toBe(405);
    expect(await response.text()).toMatch(/mutation/i);
    expect(await upstreamCalls()).toBe(0);
  });
});

describe("production mode (NODE_ENV=production, INTROSPECTION unset)", () => {
  it("refuses introspection in production, naming the INTROSPECTION setting", async () => {
    const result = await graphql(production.url, "{ __schema { queryType { name } } }");
    expect(result.status).toBe(400);
    expect(onlyError(result).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(onlyError(result).message).toBe(
      "GraphQL introspection is not allowed by this gateway: INTROSPECTION is false (its default when NODE_ENV=production). Set INTROSPECTION=true to allow it.",
    );
  });

  it("answers a misspelt field without suggesting the real one", async () => {
    const result = await graphql(production.url, `mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "x" }) { accesToken } }`);
    expect(result.status).toBe(400);
    expect(onlyError(result).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(result.text).not.toMatch(/Did you mean/);
    expect(result.text).not.toContain("accessToken");
    expect(await upstreamCalls()).toBe(0);
  });

  it("suggests fields outside production (control)", async () => {
    const result = await graphql(gateway.url, `mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "x" }) { accesToken } }`);
    expect(onlyError(result).message).toMatch(/Did you mean "accessToken"/);
  });
});

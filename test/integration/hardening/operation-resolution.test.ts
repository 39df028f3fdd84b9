import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Only the named operation runs, or none (issue 11, item 2), on a real gateway process with its
 * embedded emulator: every request whose operation Apollo cannot resolve is answered 4xx
 * BAD_REQUEST and never executed (the emulator counts no CreateTokenWithIAM call), over POST and
 * GET; and no mutation runs over GET. Each case carries a real, valid assertion, so any execution
 * would reach upstream and show in the count.
 */

let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  gateway = await startGateway({ env: { RATE_LIMIT_CALLER_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});

const exchange = (name: string, assertion: string) => `mutation ${name} { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: ${JSON.stringify(assertion)} }) { accessToken } }`;

async function post(body: Record<string, unknown>) {
  const response = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

async function get(params: Record<string, string>) {
  const url = new URL(gateway.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { "apollo-require-preflight": "true" } });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

/** Runs `send` and returns its answer with the upstream calls it caused. */
async function counting<T>(send: () => Promise<T>): Promise<{ answer: T; upstreamCalls: number }> {
  const before = await emulator.createTokenWithIAMCalls();
  const answer = await send();
  return { answer, upstreamCalls: (await emulator.createTokenWithIAMCalls()) - before };
}

describe("only the named operation runs, or none", () => {
  it("POST: an operationName no operation has is answered 400 BAD_REQUEST, and nothing runs upstream", async () => {
    const assertion = await emulator.mintAssertion({ sub: "alice" });
    const { answer, upstreamCalls } = await counting(() => post({ query: exchange("A", assertion), operationName: "B" }));
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(["BAD_REQUEST"]);
    expect(answer.body.data).toBeUndefined();
    expect(upstreamCalls).toBe(0);
  });

  it("POST: { __typename } under a mismatched operationName is 400 BAD_REQUEST, not 500", async () => {
    const { status, body } = await post({ query: "query A { __typename }", operationName: "B" });
    expect([status, body.errors?.[0]?.extensions?.code]).toEqual([400, "BAD_REQUEST"]);
  });

  it("POST: several operations and no operationName is 400 BAD_REQUEST, and none of them runs", async () => {
    const assertion = await emulator.mintAssertion({ sub: "bob" });
    const { answer, upstreamCalls } = await counting(() => post({ query: `${exchange("A", assertion)} ${exchange("B", assertion)}` }));
    expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([400, "BAD_REQUEST"]);
    expect(upstreamCalls).toBe(0);
  });

  it("GET with the preflight header: a mutation under a mismatched operationName is 400 BAD_REQUEST and never runs", async () => {
    const assertion = await emulator.mintAssertion({ sub: "carol" });
    const { answer, upstreamCalls } = await counting(() => get({ query: exchange("A", assertion), operationName: "B" }));
    expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([400, "BAD_REQUEST"]);
    expect(upstreamCalls).toBe(0);
  });

  it("GET with the preflight header: a mutation, named or not, is refused (405) and never runs", async () => {
    const assertion = await emulator.mintAssertion({ sub: "dave" });
    const named = await counting(() => get({ query: exchange("A", assertion), operationName: "A" }));
    const unnamed = await counting(() => get({ query: exchange("A", assertion) }));
    const several = await counting(() => get({ query: `${exchange("A", assertion)} query Q { __typename }` }));
    expect([named.answer.status, named.answer.body.errors?.[0]?.extensions?.code]).toEqual([405, "BAD_REQUEST"]);
    expect([unnamed.answer.status, unnamed.answer.body.errors?.[0]?.extensions?.code]).toEqual([405, "BAD_REQUEST"]);
    expect([several.answer.status, several.answer.body.errors?.[0]?.extensions?.code]).toEqual([400, "BAD_REQUEST"]);
    expect(named.upstreamCalls + unnamed.upstreamCalls + several.upstreamCalls).toBe(0);
  });

  it("still runs the operation the request names (POST), once", async () => {
    const assertion = await emulator.mintAssertion({ sub: "erin" });
    const { answer, upstreamCalls } = await counting(() => post({ query: `query Q { __typename } ${exchange("A", assertion)}`, operationName: "A" }));
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(upstreamCalls).toBe(1);
  });

  it("logged none of these refusals at warn or above", () => {
    expect(gateway.logLines().filter((line) => Number(line.level) >= 40 && !String(line.msg).includes("GATEWAY_SECRET"))).toEqual([]);
  });
});

describe("variable sizes are bounded before any coercion", () => {
  it("refuses a 62 KB body whose scope holds 31,000 items: 400 BAD_USER_INPUT naming input.scope, no upstream call, no value echoed", async () => {
    const assertion = await emulator.mintAssertion({ sub: "frank" });
    const query = "mutation C($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken } }";
    const { answer, upstreamCalls } = await counting(() => post({ query, variables: { input: { grantType: "JWT_BEARER", assertion, scope: Array(31_000).fill(1) } } }));
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ message: 'Variable "$input" is out of bounds at "input.scope": it must be a list of at most 50 items.', extensions: { code: "BAD_USER_INPUT", retryable: false, field: "input.scope" } }]);
    expect(JSON.stringify(answer.body)).not.toContain(assertion);
    expect(upstreamCalls).toBe(0);
  });

  it("refuses a string over its field's bound, naming the field", async () => {
    const query = "mutation R($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }";
    const { status, body } = await post({ query, variables: { input: { refreshToken: "r".repeat(8193) } } });
    expect([status, body.errors?.[0]?.extensions]).toEqual([400, { code: "BAD_USER_INPUT", retryable: false, field: "input.refreshToken" }]);
  });

  it("caps coercion errors of a list within its bound and answers them BAD_USER_INPUT (400), never INTERNAL_SERVER_ERROR", async () => {
    const query = "mutation C($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken } }";
    const { status, body } = await post({ query, variables: { input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(50).fill(1) } } });
    expect(status).toBe(400);
    expect(new Set(body.errors?.map((error) => error.extensions?.code))).toEqual(new Set(["BAD_USER_INPUT"]));
    expect(body.errors!.length).toBeLessThanOrEqual(51);
  });
});

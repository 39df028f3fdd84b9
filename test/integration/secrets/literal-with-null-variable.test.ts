import { afterAll, beforeAll, expect, it } from "vitest";
import { graphql, onlyError } from "../../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * An input object written into the document, with a grant as a literal and a variable inside it:
 * `input: { grantType: $g, assertion: "eyJ…" }` with `$g: GrantType = JWT_BEARER`. Validation lets a
 * nullable variable with a default stand where a value is required; sent as an explicit null, graphql-js
 * refuses the argument while executing, quoting the whole literal: `Argument "input" has invalid value
 * {grantType: $g, assertion: "eyJ…"}.` That is the caller's mistake: BAD_USER_INPUT naming the argument,
 * the same answer every time (graphql-jit compiles a document after COMPILE_AFTER_EXECUTIONS), nothing
 * sent upstream, and the literal in no answer and no log line.
 */

let gateway: GatewayProcess;
let emulator: EmulatorApi;
const sent: string[] = [];

beforeAll(async () => {
  gateway = await startGateway({ env: { LOG_LEVEL: "debug" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
});
afterAll(async () => {
  await gateway?.stop();
});

const EXECUTIONS = 6;

async function expectRefusedNaming(field: string, document: string, variables: Record<string, unknown>, secret?: string) {
  if (secret !== undefined) sent.push(secret);
  const [variable] = Object.keys(variables);
  for (let attempt = 0; attempt < EXECUTIONS; attempt++) {
    const result = await graphql(gateway.url, document, variables);
    expect(result.status).toBe(400);
    const error = onlyError(result);
    expect(error.extensions).toEqual({ code: "BAD_USER_INPUT", retryable: false, field });
    expect(error.message).toBe(`Variable "$${variable}" is null at "${field}", where a value is required: a variable's default applies only when the variable is omitted.`);
    if (secret !== undefined) expect(result.text).not.toContain(secret);
  }
}

it("a null variable inside an input literal that carries an assertion: BAD_USER_INPUT naming the field, the literal in no answer", async () => {
  const assertion = await emulator.mintAssertion({ sub: "literal-alice" });
  const document = `mutation Literal($g: GrantType = JWT_BEARER) { createTokenWithIAM(input: { grantType: $g, assertion: ${JSON.stringify(assertion)} }) { accessToken } }`;
  await expectRefusedNaming("input.grantType", document, { g: null }, assertion);
});

it("the same for a null list item beside a refresh token", async () => {
  const refreshToken = "aor-us-east-1:literal-refresh-token-0123456789abcdefghijklmnop";
  const document = `mutation Scoped($s: String = "openid") { refreshToken(input: { refreshToken: ${JSON.stringify(refreshToken)}, scope: [$s] }) { accessToken } }`;
  await expectRefusedNaming("input.scope[0]", document, { s: null }, refreshToken);
});

it("the same for a null variable standing for a whole argument, and for a directive's argument", async () => {
  const assertion = await emulator.mintAssertion({ sub: "literal-bob" });
  const whole = `mutation Whole($i: CreateTokenWithIAMInput = { grantType: JWT_BEARER, assertion: ${JSON.stringify(assertion)} }) { createTokenWithIAM(input: $i) { accessToken } }`;
  await expectRefusedNaming("input", whole, { i: null }, assertion);
  await expectRefusedNaming("@include(if)", "query Info($b: Boolean = true) { gateway { version @include(if: $b) } }", { b: null });
});

it("sent nothing upstream, and logged neither literal nor an unexpected error", async () => {
  expect(await emulator.createTokenWithIAMCalls()).toBe(0);
  expect(await gateway.stop()).toBe(0);
  const output = gateway.output();
  expect(output).toContain("gateway ready");
  expect(sent.filter((secret) => output.includes(secret)).map((secret) => `${secret.slice(0, 12)}…`)).toEqual([]);
  expect(output).not.toContain("unexpected error");
});

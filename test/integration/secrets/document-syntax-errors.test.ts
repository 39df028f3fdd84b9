import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, graphql, onlyError } from "../../support/gateway-client.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { CREATE_TOKEN, type TokenResponse } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * A grant written into the document as a string literal, in a document that does not parse:
 * graphql-js' parser names the token it did not expect with its value (`Expected ":", found String
 * "eyJ…"`), and the answer must not carry that value back (nor the log hold it), as validation and
 * coercion messages do not. The message still says what is wrong and where.
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

async function refused(document: string, secret: string) {
  sent.push(secret);
  const result = await graphql(gateway.url, document);
  expect(result.status).toBe(400);
  const error = onlyError(result);
  expect(error.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
  expect(result.text).not.toContain(secret);
  return error;
}

describe("a document that does not parse, with a grant written into it", () => {
  it("a missing colon before a quoted assertion: names the string token, not its value", async () => {
    const assertion = await emulator.mintAssertion({ sub: "syntax-alice" });
    const error = await refused(`mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion ${JSON.stringify(assertion)} }) { accessToken } }`, assertion);
    expect(error.message).toBe('Syntax Error: Expected ":", found String.');
    expect(error).toHaveProperty("locations");
  });

  it("a refresh token as an unexpected string, and as an unexpected block string", async () => {
    const issued = dataOf(await graphql<{ createTokenWithIAM: TokenResponse }>(gateway.url, CREATE_TOKEN, {
      input: { grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub: "syntax-bob" }) },
    })).createTokenWithIAM;
    const refreshToken = issued.refreshToken!;
    sent.push(issued.accessToken!);
    expect((await refused(`mutation { refreshToken(input: { refreshToken: "x" } ${JSON.stringify(refreshToken)}) { accessToken } }`, refreshToken)).message)
      .toBe("Syntax Error: Expected Name, found String.");
    expect((await refused(`mutation { refreshToken(input: { refreshToken: "x" } """${refreshToken}""") { accessToken } }`, refreshToken)).message)
      .toBe("Syntax Error: Expected Name, found BlockString.");
    expect((await refused(`"description" ${JSON.stringify(refreshToken)} mutation { gateway { version } }`, refreshToken)).message)
      .toBe("Syntax Error: Unexpected String.");
  });

  it("wrote none of those values to its debug-level log", async () => {
    expect(await gateway.stop()).toBe(0);
    const output = gateway.output();
    expect(output).toContain("gateway ready");
    expect(sent.filter((secret) => output.includes(secret)).map((secret) => `${secret.slice(0, 12)}…`)).toEqual([]);
  });
});

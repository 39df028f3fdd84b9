import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { answersOnOneConnection } from "./pipelined-wire.js";

/**
 * Requests Node used to answer itself, without a 'request' event, escaped MAX_PIPELINED_REQUESTS (a
 * review of 6116098): an Expect other than 100-continue (417, on 'checkExpectation' with no listener)
 * and an HTTP/1.1 request without Host (400, requireHostHeader; the connection closed only after the
 * whole 64 KB read, ~3,600 requests, was parsed and answered). Pipelined from one address on 4
 * connections they made 116,000 answers a second and held another caller's `{ __typename }` at a
 * median of 173 ms (Host-less: 281 ms). Both now pass through the gateway's bound: counted here.
 */
let gateway: GatewayProcess;
let port: number;

beforeAll(async () => {
  gateway = await startGateway({ env: { HOST: "127.0.0.1" } });
  port = Number(new URL(gateway.url).port);
});
afterAll(async () => {
  await gateway?.stop();
});

describe("pipelined requests Node answered itself", () => {
  it("1,000 GET /healthz with `Expect: x` pipelined on one connection: at most 8 answered (417), then the connection is closed", async () => {
    const { statuses, closedByGateway } = await answersOnOneConnection(port, "GET /healthz HTTP/1.1\r\nHost: gateway\r\nExpect: x\r\n\r\n".repeat(1_000));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.length).toBeLessThanOrEqual(8);
    expect(new Set(statuses)).toEqual(new Set(["417"]));
    expect(closedByGateway).toBe(true);
  });

  it("a Host-less HTTP/1.1 request: one answer (400), the connection closed, and nothing pipelined behind it parsed or run", async () => {
    // Node answered it 400 too, but parsed and ran every request behind it in the read (their answers never written):
    // an exchange pipelined behind it reached AWS.
    const emulator = emulatorApi(gateway.emulatorUrl!);
    const body = JSON.stringify({
      query: "mutation ($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { expiresIn } }",
      variables: { input: { grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub: "behind-host-less" }) } },
    });
    const exchange = `POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const before = await emulator.createTokenWithIAMCalls();
    const { statuses, closedByGateway } = await answersOnOneConnection(port, "GET / HTTP/1.1\r\n\r\n".repeat(100) + exchange);
    expect(statuses).toEqual(["400"]);
    expect(closedByGateway).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await emulator.createTokenWithIAMCalls()).toBe(before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { CREATE_TOKEN } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * One IPv6 customer is one caller. ISPs commonly delegate a /56 to a customer; counted by its /64,
 * one home was 256 callers, each with its own upstream budget: 512 calls to AWS a second at the
 * defaults, six times the application's whole RATE_LIMIT_APP_PER_SECOND. Real gateway processes
 * behind a stand-in proxy (TRUST_PROXY=1: the test appends the address it "saw"); every exchange is
 * a fresh assertion, so each allowed one is a real upstream call the emulator counts.
 */

/** 16 addresses in 16 different /64s of the one /56 2001:db8:1:200::/56. */
const ONE_CUSTOMER = Array.from({ length: 16 }, (_, n) => `2001:db8:1:2${n.toString(16).padStart(2, "0")}::${n + 1}`);
const ANOTHER_CUSTOMER = "2001:db8:1:300::1";

async function exchangeFrom(gateway: GatewayProcess, address: string, sub: string): Promise<string> {
  const assertion = await emulatorApi(gateway.emulatorUrl as string).mintAssertion({ sub });
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": address },
    body: JSON.stringify({ query: CREATE_TOKEN, variables: { input: { grantType: "JWT_BEARER", assertion } } }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
  return body.errors?.[0]?.extensions?.code ?? "OK";
}

const BUDGET = { TRUST_PROXY: "1", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "1", RATE_LIMIT_CALLER_UPSTREAM_BURST: "0" };

describe("an IPv6 customer's /56 is one caller (IPV6_CALLER_PREFIX_LENGTH=56, the default)", () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({ env: { HOST: "127.0.0.1", ...BUDGET } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("gives 16 addresses in 16 /64s of one /56 one upstream budget, and another /56 its own", async () => {
    const before = await emulatorApi(gateway.emulatorUrl as string).createTokenWithIAMCalls();
    const codes = await Promise.all(ONE_CUSTOMER.map((address, n) => exchangeFrom(gateway, address, `home-${n}`)));
    expect(codes.filter((code) => code === "OK")).toHaveLength(1);
    expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(ONE_CUSTOMER.length - 1);
    expect(await exchangeFrom(gateway, ANOTHER_CUSTOMER, "neighbour")).toBe("OK");
    expect(await emulatorApi(gateway.emulatorUrl as string).createTokenWithIAMCalls()).toBe(before + 2);
  });
});

describe("IPV6_CALLER_PREFIX_LENGTH=64 counts each /64, as before", () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({ env: { HOST: "127.0.0.1", ...BUDGET, IPV6_CALLER_PREFIX_LENGTH: "64" } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("gives each of the 16 /64s its own upstream budget", async () => {
    const codes = await Promise.all(ONE_CUSTOMER.map((address, n) => exchangeFrom(gateway, address, `home-${n}`)));
    expect(codes).toEqual(ONE_CUSTOMER.map(() => "OK"));
  });
});

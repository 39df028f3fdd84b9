import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { CREATE_TOKEN } from "../../support/gateway-operations.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, codeOf, SIGN_IN } from "../sessions/session-support.js";

/**
 * One IPv6 customer is one caller. ISPs commonly delegate a /56 to a customer; counted by its /64,
 * one home was 256 callers, each with its own upstream budget: 512 calls to AWS a second at the
 * defaults, six times the application's whole RATE_LIMIT_APP_PER_SECOND. And one /48 (free from a
 * tunnel broker) is 256 /56s: its callers share IPV6_NETWORK_CALLERS callers' worth. Real gateway processes
 * behind a stand-in proxy (TRUST_PROXY=1: the test appends the address it "saw"); every exchange is
 * a fresh assertion, so each allowed one is a real upstream call the emulator counts.
 */

/** 16 addresses in 16 different /64s of the one /56 2001:db8:1:200::/56. */
const ONE_CUSTOMER = Array.from({ length: 16 }, (_, n) => `2001:db8:1:2${n.toString(16).padStart(2, "0")}::${n + 1}`);
const ANOTHER_CUSTOMER = "2001:db8:1:300::1";

/** 16 /56 callers of the one /48 2001:db8:5::/48 (what anyone can get free from a tunnel broker). */
const ONE_SITE = Array.from({ length: 16 }, (_, n) => `2001:db8:5:${(n * 256).toString(16)}::1`);

async function exchangeFrom(gateway: GatewayProcess, address: string, sub: string): Promise<string> {
  return (await exchangeAnswer(gateway, address, sub)).code;
}

async function exchangeAnswer(gateway: GatewayProcess, address: string, sub: string): Promise<{ code: string; message?: string }> {
  const assertion = await emulatorApi(gateway.emulatorUrl as string).mintAssertion({ sub });
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": address },
    body: JSON.stringify({ query: CREATE_TOKEN, variables: { input: { grantType: "JWT_BEARER", assertion } } }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  const error = body.errors?.[0];
  return error === undefined ? { code: "OK" } : { code: error.extensions?.code ?? "NO CODE", message: error.message };
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

  it("gives the 16 /56s of one /48 four callers' worth together (IPV6_NETWORK_CALLERS=4, the default), naming the network; another /48 and an IPv4 caller their own", async () => {
    const before = await emulatorApi(gateway.emulatorUrl as string).createTokenWithIAMCalls();
    const answers = await Promise.all(ONE_SITE.map((address, n) => exchangeAnswer(gateway, address, `site-${n}`)));
    expect(answers.filter((answer) => answer.code === "OK")).toHaveLength(4);
    const refused = answers.filter((answer) => answer.code === "RATE_LIMITED");
    expect(refused).toHaveLength(ONE_SITE.length - 4);
    expect(refused[0]?.message).toMatch(/^Too many token exchanges sent to AWS from this caller's IPv6 network \(over IPV6_NETWORK_CALLERS=4 × RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND=1\)/);
    expect(await exchangeFrom(gateway, "2001:db8:6:100::1", "next-site")).toBe("OK");
    expect(await exchangeFrom(gateway, "203.0.113.9", "ipv4")).toBe("OK");
    expect(await emulatorApi(gateway.emulatorUrl as string).createTokenWithIAMCalls()).toBe(before + 6);
  });
});

describe("IPV6_CALLER_PREFIX_LENGTH=64 and IPV6_NETWORK_CALLERS=0 count each /64 on its own, as before", () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({ env: { HOST: "127.0.0.1", ...BUDGET, IPV6_CALLER_PREFIX_LENGTH: "64", IPV6_NETWORK_CALLERS: "0" } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("gives each of the 16 /64s its own upstream budget", async () => {
    const codes = await Promise.all(ONE_CUSTOMER.map((address, n) => exchangeFrom(gateway, address, `home-${n}`)));
    expect(codes).toEqual(ONE_CUSTOMER.map(() => "OK"));
  });
});

describe("an IPv6 network's sessions without an ID token (SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER × IPV6_NETWORK_CALLERS)", () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({
      env: { HOST: "127.0.0.1", TRUST_PROXY: "1", SESSION_MODE: "cookie", SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER: "1", IPV6_NETWORK_CALLERS: "2", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("lets two /56s of one /48 start one each, refuses a third before its exchange naming the network, and serves another /48", async () => {
    const emulator = emulatorApi(gateway.emulatorUrl as string);
    const signIn = async (address: string, sub: string) => {
      const assertion = await emulator.mintAssertion({ sub });
      return browser().post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["aws"] } }, { "x-forwarded-for": address });
    };
    for (const [n, address] of ONE_SITE.slice(0, 2).entries()) expect((await signIn(address, `site-session-${n}`)).body.errors).toBeUndefined();
    const before = await emulator.createTokenWithIAMCalls();
    const refused = await signIn(ONE_SITE[2]!, "site-session-2");
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.body.errors![0]!.message).toMatch(/^This caller's IPv6 network started 2 \(IPV6_NETWORK_CALLERS=2 × SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=1\) sessions without an ID token/);
    expect(await emulator.createTokenWithIAMCalls()).toBe(before);
    expect((await signIn("2001:db8:6:100::1", "next-site-session")).body.errors).toBeUndefined();
  });
});

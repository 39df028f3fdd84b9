import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPENSIVE_REFUSALS, refusalRequest, runBystander, runHostileCaller, type Answer } from "../../../bench/support/hostile-caller.js";
import { emulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Bounded cost per request (issue 11, item 1), end to end: a real gateway process with its caller
 * rate limit at the defaults; one caller (127.0.0.2) sends the most expensive refusals known at its
 * full allowance while a second caller (127.0.0.3) probes /healthz and exchanges a token. Every
 * answer the second caller gets is correct. How fast they are is the bench's business
 * (`npm run bench -- --only=hostile`: p99 < 100 ms); here: correctness, no 5xx, no error log.
 */

const ATTACK_MS = 3000;
let gateway: GatewayProcess;

beforeAll(async () => {
  // Caller rate limits at their defaults: the hostile caller's allowance is what the gateway grants.
  gateway = await startGateway({ env: { HOST: "127.0.0.1" } });
});
afterAll(async () => {
  await gateway?.stop();
});

const statusesOf = (answers: Answer[]) => [...new Set(answers.map((answer) => answer.status))].sort();

describe("a hostile caller at its full allowance", () => {
  it("each expensive refusal alone is a 4xx naming what is wrong, never a 5xx", async () => {
    for (const refusal of EXPENSIVE_REFUSALS) {
      const { label } = refusal;
      // Under the gateway's MAX_BODY_BYTES (64 KB) or Node's 16 KiB header limit: refused by the gateway, not before.
      if (refusal.search === undefined) expect(Buffer.byteLength(refusal.body), label).toBeLessThan(65_536);
      else expect(refusal.search.length, label).toBeLessThan(16_000);
      const { url, body, headers } = refusalRequest(gateway.url, refusal);
      const response = await fetch(url, body === undefined ? { headers } : { method: "POST", headers: { "content-type": "application/json" }, body });
      const answer = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      expect([label, response.status]).toEqual([label, 400]);
      expect(["BAD_USER_INPUT", "BAD_REQUEST", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"]).toContain(answer.errors?.[0]?.extensions?.code);
    }
  });

  it("leaves /healthz and a second caller's exchanges answered correctly throughout", async () => {
    const assertion = await emulatorApi(gateway.emulatorUrl!).mintAssertion({ sub: "bystander" });
    const exchange = JSON.stringify({
      query: "mutation Exchange($assertion: String!) { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion }) { accessToken } }",
      variables: { assertion },
    });
    const healthz = new URL("/healthz", gateway.url).toString();
    const [hostile, probes, exchanges] = await Promise.all([
      runHostileCaller({ url: gateway.url, durationMs: ATTACK_MS }),
      runBystander({ url: gateway.url, durationMs: ATTACK_MS, perSecond: 10, next: () => ({ url: healthz }) }),
      runBystander({ url: gateway.url, durationMs: ATTACK_MS, perSecond: 5, next: () => ({ body: exchange }) }),
    ]);

    // The hostile caller got refusals (and 429 once its allowance is spent), never a 5xx.
    expect(hostile.length).toBeGreaterThanOrEqual(40 + 2 * 20);
    expect(statusesOf(hostile).every((status) => status === 400 || status === 429)).toBe(true);
    expect(hostile.filter((answer) => answer.status === 400).length).toBeGreaterThanOrEqual(40);

    expect(probes.length).toBeGreaterThanOrEqual(25);
    expect(probes.every((answer) => answer.status === 200 && answer.text === '{"status":"ok"}')).toBe(true);
    expect(exchanges.length).toBeGreaterThanOrEqual(12);
    for (const answer of exchanges) {
      expect(answer.status).toBe(200);
      expect((JSON.parse(answer.text) as { data?: { createTokenWithIAM?: { accessToken?: string } } }).data?.createTokenWithIAM?.accessToken).toMatch(/\S/);
    }
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.logLines().filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});

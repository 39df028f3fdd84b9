import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { rejections, startHardenedGateway, type HardenedGateway } from "./hardening-fixture.js";

/** The refusals of issue 11 items 1 and 2 are counted in rejections{reason}, like the other limits. */
let emulator: TestEmulator;
let gateway: HardenedGateway;

beforeAll(async () => {
  emulator = await startTestEmulator();
  gateway = await startHardenedGateway(emulator, { RATE_LIMIT_CALLER_PER_SECOND: "0" });
});
afterAll(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

const post = (body: unknown) => fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("refusals before execution are counted", () => {
  it("counts a variable over its bound as rejections{reason=\"variable_bounds\"} and an unresolved operation as \"unresolved_operation\"", async () => {
    const query = "mutation C($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken } }";
    expect((await post({ query, variables: { input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(51).fill("s") } } })).status).toBe(400);
    expect((await post({ query: "query A { __typename }", operationName: "B" })).status).toBe(400);
    expect((await post({ query: "query A { __typename } query B { __typename }" })).status).toBe(400);
    expect(await rejections(gateway.metrics, "variable_bounds")).toBe(1);
    expect(await rejections(gateway.metrics, "unresolved_operation")).toBe(2);
    expect((await emulator.dev.stats()).calls.CreateTokenWithIAM).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { useGatewaysPerTest } from "./hardening-fixture.js";

/**
 * EXPOSE_CLIENT_IDS: `Query.gateway` tells any caller the account's application ARNs only when the
 * operator says so (the default outside production). Hidden, the fields are null: "not disclosed",
 * which an empty list would misstate as "no application".
 */

const gateways = useGatewaysPerTest();

async function gatewayInfo(env: Record<string, string>): Promise<unknown> {
  const gateway = await gateways.start(env);
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ gateway { region defaultClientId allowedClientIds } }" }),
  });
  expect(response.status).toBe(200);
  return response.json();
}

describe("EXPOSE_CLIENT_IDS", () => {
  it("in production (default false) answers null for both ARN fields, and the rest of Query.gateway as usual", async () => {
    expect(await gatewayInfo({ NODE_ENV: "production" })).toEqual({
      data: { gateway: { region: gateways.emulator().region, defaultClientId: null, allowedClientIds: null } },
    });
  });

  it("in production with EXPOSE_CLIENT_IDS=true lists the ARNs", async () => {
    expect(await gatewayInfo({ NODE_ENV: "production", EXPOSE_CLIENT_IDS: "true" })).toEqual({
      data: { gateway: { region: gateways.emulator().region, defaultClientId: gateways.emulator().defaultClientId, allowedClientIds: [gateways.emulator().defaultClientId] } },
    });
  });

  it("outside production lists them by default, and hides them with EXPOSE_CLIENT_IDS=false", async () => {
    expect(await gatewayInfo({})).toEqual({
      data: { gateway: { region: gateways.emulator().region, defaultClientId: gateways.emulator().defaultClientId, allowedClientIds: [gateways.emulator().defaultClientId] } },
    });
    expect(await gatewayInfo({ EXPOSE_CLIENT_IDS: "false" })).toEqual({
      data: { gateway: { region: gateways.emulator().region, defaultClientId: null, allowedClientIds: null } },
    });
  });
});

/**
 * EMULATOR_CONFIG lifetimes past a 32-bit integer: AWS's expiresIn (and the gateway's GraphQL Int) cannot
 * carry them, so every exchange answered INTERNAL_SERVER_ERROR. The embedded emulator now refuses them at start.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runGatewayToExit } from "../../support/gateway-exit.js";

const LIMIT_MS = 50_000;
const dir = mkdtempSync(join(tmpdir(), "emulator-lifetime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an access-token lifetime no response can carry", () => {
  it("stops the gateway's start in embedded mode, naming EMULATOR_CONFIG and the field", async () => {
    const path = join(dir, "config.json");
    const clientId = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
    writeFileSync(path, JSON.stringify({ applications: [{ clientId, accessTokenLifetimeSeconds: 10_000_000_000 }] }));
    const result = await runGatewayToExit({ EMULATOR_CONFIG: path }, LIMIT_MS);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`EMULATOR_CONFIG (${path}) is invalid:\n  applications[0].accessTokenLifetimeSeconds: Too big: expected number to be <=2147483647\n`);
  }, LIMIT_MS + 5_000);
});

/**
 * Two of the gateway's own listeners on one port: start-up names the setting that clashes, instead of
 * reporting the port "in use by another process" (it was the gateway's own metrics listener or emulator).
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { freePort } from "../../support/free-port.js";
import { runGatewayToExit } from "../../support/gateway-exit.js";

const LIMIT_MS = 50_000;

describe.concurrent("ports the gateway would take twice (the processes run side by side)", () => {
  it("METRICS_PORT equal to PORT", async () => {
    const port = await freePort();
    const result = await runGatewayToExit({ PORT: String(port), METRICS_PORT: String(port) }, LIMIT_MS);
    expect(result).toMatchObject({ code: 1, stderr: `METRICS_PORT (${port}) must differ from PORT (${port}): /metrics gets a listener of its own (unset METRICS_PORT to serve it on PORT)\n` });
  }, LIMIT_MS + 5_000);

  it("EMULATOR_PORT equal to PORT in embedded mode", async () => {
    const port = await freePort();
    const result = await runGatewayToExit({ PORT: String(port), EMULATOR_PORT: String(port) }, LIMIT_MS);
    expect(result).toMatchObject({ code: 1, stderr: `EMULATOR_PORT (${port}) must differ from PORT (${port}): the embedded emulator listens on a port of its own\n` });
  }, LIMIT_MS + 5_000);

  it("EMULATOR_PORT equal to METRICS_PORT in embedded mode", async () => {
    const port = await freePort();
    const result = await runGatewayToExit({ METRICS_PORT: String(port), EMULATOR_PORT: String(port) }, LIMIT_MS);
    expect(result).toMatchObject({ code: 1, stderr: `EMULATOR_PORT (${port}) must differ from METRICS_PORT (${port}): the embedded emulator listens on a port of its own\n` });
  }, LIMIT_MS + 5_000);
});

describe("ports that do not clash", () => {
  it("EMULATOR_PORT equal to PORT when no emulator runs (SSO_OIDC_ENDPOINT set), and both at 0", () => {
    expect(() => loadConfig({ PORT: "4000", EMULATOR_PORT: "4000", SSO_OIDC_ENDPOINT: "http://127.0.0.1:9" })).not.toThrow();
    expect(() => loadConfig({ PORT: "0", METRICS_PORT: "0", EMULATOR_PORT: "0" })).not.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway-process.js";

/**
 * The gateway owns its signal handling in every mode. Apollo Server installs its own SIGINT/SIGTERM
 * handlers unless NODE_ENV=test, so the other test files (which run with NODE_ENV=test) cannot see a
 * regression there: these run the modes people actually use.
 */
describe("shutdown outside the test environment", () => {
  it.each([
    ["development", {}],
    // Production needs an explicit upstream; the embedded demo is the one that runs here.
    ["production", { GATEWAY_SECRET: "a-production-secret-of-at-least-32-bytes!", UPSTREAM: "embedded" }],
  ] as const)("stops on SIGTERM with exit code 0 in %s mode, well inside SHUTDOWN_TIMEOUT_MS", async (nodeEnv, extra) => {
    const gateway = await startGateway({ env: { NODE_ENV: nodeEnv, SHUTDOWN_TIMEOUT_MS: "4000", ...extra } });
    const exitCode = await gateway.stop();
    expect(exitCode, gateway.output()).toBe(0);
    expect(gateway.output()).toContain('"msg":"gateway stopped"');
    expect(gateway.output()).not.toContain("did not stop within SHUTDOWN_TIMEOUT_MS");
  });
});

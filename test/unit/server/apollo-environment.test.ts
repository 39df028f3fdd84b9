import { afterEach, describe, expect, it, vi } from "vitest";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { capturingLogger, fakeTokenService, testConfig } from "./server-fixtures.js";

/**
 * `.env.example` shows `# APOLLO_KEY=`, and "an empty value means the default": uncommented, the gateway
 * reads it as unset and turns reporting off. Apollo Server reads APOLLO_KEY from the environment itself
 * when its `apollo` option names no key, and a blank one made it print, in plain text at every start,
 * "The provided API key has unexpected leading or trailing whitespace" (a first-day review, copying
 * `.env.example` to `.env` with its lines uncommented).
 */
describe("Apollo Server and a blank APOLLO_KEY", () => {
  const saved = process.env.APOLLO_KEY;
  let server: GatewayServer | undefined;

  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
    server = undefined;
    if (saved === undefined) delete process.env.APOLLO_KEY;
    else process.env.APOLLO_KEY = saved;
  });

  it("starts without Apollo's whitespace warning, and the gateway's own environment reads it as unset", async () => {
    process.env.APOLLO_KEY = "";
    const printed: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => { printed.push(args.map(String).join(" ")); });
    }
    const log = capturingLogger();
    server = await createGatewayServer({ config: testConfig(), tokenService: fakeTokenService(() => { throw new Error("unused"); }).tokenService, logger: log.logger, upstreamLabel: "fake" });
    expect(printed.filter((line) => /API key/i.test(line))).toEqual([]);
    expect(log.text()).not.toMatch(/API key/i);
  });

  it("leaves a key that is set alone (reporting is the configuration's business, not this guard's)", async () => {
    process.env.APOLLO_KEY = "service:graph:not-a-real-key";
    const log = capturingLogger();
    server = await createGatewayServer({ config: testConfig(), tokenService: fakeTokenService(() => { throw new Error("unused"); }).tokenService, logger: log.logger, upstreamLabel: "fake" });
    expect(process.env.APOLLO_KEY).toBe("service:graph:not-a-real-key");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../../src/config/config.types.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { LOOPBACK_ONLY_MESSAGE } from "../../../src/server/explorer/explorer-emulator.route.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { capturingLogger, fakeTokenService, testConfig } from "../../unit/server/server-fixtures.js";
import { httpFrom, postJsonFrom } from "../hardening/from-address.js";

/**
 * The explorer's test-credential routes mint assertions and codes the gateway then exchanges: they are
 * served only to this machine (TCP peer 127.0.0.1/::1, nothing forwarded) unless
 * EXPLORER_EMULATOR_ACCESS=any, and never in production.
 */

const servers: GatewayServer[] = [];
let emulator: TestEmulator;

async function start(overrides: Partial<GatewayConfig>): Promise<string> {
  const server = await createGatewayServer({
    config: testConfig({ explorer: true, ...overrides }),
    tokenService: fakeTokenService(() => { throw new Error("no exchange in these tests"); }).tokenService,
    logger: capturingLogger().logger,
    upstreamLabel: "embedded",
    emulatorUrl: emulator.url,
  });
  servers.push(server);
  return new URL((await server.listen(0, "127.0.0.1")).url).origin;
}

let loopbackOnly: string;
let loopbackBehindProxySetting: string;
let anyCaller: string;
let production: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  [loopbackOnly, loopbackBehindProxySetting, anyCaller, production] = await Promise.all([
    start({}),
    start({ trustProxy: true }),
    start({ explorerEmulatorAccess: "any" }),
    start({ nodeEnv: "production" }),
  ]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await emulator?.stop();
});

const ASSERTION = "/_explorer/emulator/assertion";
const CODE = "/_explorer/emulator/authorization-code";

describe("EXPLORER_EMULATOR_ACCESS=loopback (the default)", () => {
  it("serves a test assertion to a caller on 127.0.0.1", async () => {
    const response = await postJsonFrom("127.0.0.1", `${loopbackOnly}${ASSERTION}`, { sub: "alice" });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ assertion: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
  });

  it("refuses another address with 403 and a message the explorer page shows", async () => {
    for (const path of [ASSERTION, CODE]) {
      const response = await postJsonFrom("127.0.0.2", `${loopbackOnly}${path}`, { sub: "alice" });
      expect(response.status).toBe(403);
      expect(response.headers["content-type"]).toMatch(/^application\/json/);
      expect(JSON.parse(response.body)).toEqual({ error: LOOPBACK_ONLY_MESSAGE });
    }
  });

  it("refuses a loopback peer whose request was forwarded by a proxy (X-Forwarded-For, Forwarded, X-Real-IP)", async () => {
    const forwarded: Array<Record<string, string>> = [{ "x-forwarded-for": "127.0.0.1" }, { forwarded: "for=127.0.0.1" }, { "x-real-ip": "127.0.0.1" }];
    for (const headers of forwarded) {
      const response = await postJsonFrom("127.0.0.1", `${loopbackOnly}${ASSERTION}`, {}, headers);
      expect(response.status).toBe(403);
    }
  });

  it("cannot be talked into it with X-Forwarded-For even when TRUST_PROXY=true", async () => {
    const response = await postJsonFrom("127.0.0.2", `${loopbackBehindProxySetting}${ASSERTION}`, {}, { "x-forwarded-for": "127.0.0.1" });
    expect(response.status).toBe(403);
    expect((await postJsonFrom("127.0.0.1", `${loopbackBehindProxySetting}${ASSERTION}`, {})).status).toBe(200);
  });
});

describe("EXPLORER_EMULATOR_ACCESS=any", () => {
  it("serves test credentials to another address", async () => {
    expect((await postJsonFrom("127.0.0.2", `${anyCaller}${ASSERTION}`, { sub: "bob" })).status).toBe(200);
    expect((await postJsonFrom("127.0.0.3", `${anyCaller}${CODE}`, {})).status).toBe(200);
  });
});

describe("NODE_ENV=production with EXPLORER=true and the embedded emulator", () => {
  it("never registers the test-credential routes, and the page offers no emulator tools", async () => {
    expect((await postJsonFrom("127.0.0.1", `${production}${ASSERTION}`, {})).status).toBe(404);
    expect((await postJsonFrom("127.0.0.1", `${production}${CODE}`, {})).status).toBe(404);
    const page = await httpFrom("127.0.0.1", `${production}/graphql`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('"emulatorPath":null');
  });
});

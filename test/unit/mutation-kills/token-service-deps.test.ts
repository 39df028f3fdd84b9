import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createMemoryStore } from "../../../src/store/index.js";
import { createTokenService, type TokenServiceDeps } from "../../../src/tokens/index.js";
import { createUpstream } from "../../../src/upstream/index.js";

/** What createTokenService tells a caller who wires it wrong, and what its health reports: no request is made. */
const logger = createLogger({ level: "silent" });
const config = loadConfig({ NODE_ENV: "test", SSO_OIDC_ENDPOINT: "http://127.0.0.1:1", GATEWAY_SECRET: "s".repeat(32) });
const upstream = createUpstream({ region: "us-east-1", endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" }, timeoutMs: 100, connectTimeoutMs: 100, maxAttempts: 1, logger });
const store = createMemoryStore();
const deps: TokenServiceDeps = { config, upstream, logger, store };
afterAll(async () => {
  upstream.destroy();
  await store.close();
});

describe("createTokenService wiring", () => {
  it("refuses a missing config with the gateway-secret message", () => {
    expect(() => createTokenService({ ...deps, config: undefined as never })).toThrow(new TypeError("createTokenService: config.gatewaySecret must be a Buffer of at least 32 bytes (use loadConfig)"));
  });

  it("refuses a default application that is not among the allowed ones, naming it", () => {
    expect(() => createTokenService({ ...deps, config: { ...config, allowedClientIds: ["arn:other"] } })).toThrow(
      new TypeError(`createTokenService: config.allowedClientIds must contain config.defaultClientId (got ${JSON.stringify(config.defaultClientId)})`),
    );
  });

  it("refuses a missing upstream, logger or per-caller budget without consume()", () => {
    expect(() => createTokenService({ ...deps, upstream: undefined as never })).toThrow(new TypeError("createTokenService: upstream must come from createUpstream()"));
    expect(() => createTokenService({ ...deps, logger: undefined as never })).toThrow(new TypeError("createTokenService: logger must be a pino logger"));
    expect(() => createTokenService({ ...deps, callerUpstreamRateLimit: {} as never })).toThrow(
      new TypeError("createTokenService: callerUpstreamRateLimit must have consume(address): Promise<void> (createRateLimits().callerUpstream)"),
    );
  });

  it("reports its store's health as its own", async () => {
    expect(await createTokenService(deps).health()).toEqual({ store: await store.health() });
    expect((await createTokenService(deps).health()).store).toMatchObject({ ok: true, status: "up" });
  });
});

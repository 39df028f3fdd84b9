/**
 * Production session mode answers CORS_ORIGINS with the session cookie: a plain-HTTP origin (one any
 * network on its path can rewrite) stops start-up with one line naming CORS_ORIGINS.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { runGatewayToExit } from "../../support/gateway-exit.js";

const LIMIT_MS = 50_000;
const PRODUCTION = { NODE_ENV: "production", UPSTREAM: "aws", GATEWAY_SECRET: "a-shared-secret-of-32-bytes-or-more!" };

describe("a plain-HTTP origin trusted with the session cookie in production", () => {
  it("stops start-up with exit code 1 and one line naming CORS_ORIGINS", async () => {
    const result = await runGatewayToExit({ ...PRODUCTION, SESSION_MODE: "cookie", CORS_ORIGINS: "https://app.example.com,http://legacy.example.com" }, LIMIT_MS);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: 'CORS_ORIGINS must list only https:// origins when NODE_ENV=production and SESSION_MODE=cookie (got "http://legacy.example.com"): a plain-HTTP page would act with the user\'s session cookie\n',
    });
  }, LIMIT_MS + 5_000);

  it("accepts it outside session mode, outside production, and for loopback origins", () => {
    expect(loadConfig({ ...PRODUCTION, CORS_ORIGINS: "http://legacy.example.com" }).cors.origins).toEqual(["http://legacy.example.com"]);
    expect(loadConfig({ SESSION_MODE: "cookie", CORS_ORIGINS: "http://legacy.example.com" }).cors.origins).toEqual(["http://legacy.example.com"]);
    expect(loadConfig({ ...PRODUCTION, SESSION_MODE: "cookie", CORS_ORIGINS: "http://localhost:3000" }).cors.origins).toEqual(["http://localhost:3000"]);
  });
});

/**
 * CORS_ORIGINS is compared byte for byte with the Origin header browsers send (lower-case host, no
 * default port, no path, never a pattern). An entry no browser can send would allow no one, silently:
 * start-up refuses it with one line naming the variable.
 */
import { describe, expect, it } from "vitest";
import { runGatewayToExit } from "../../support/gateway-exit.js";

const LIMIT_MS = 50_000;
const ACCEPTS =
  "CORS_ORIGINS must be a comma-separated list of origins exactly as browsers send them, such as https://app.example.com (scheme://host[:port]: lower-case, no wildcard, no default port, no path), or none";

describe.concurrent("CORS_ORIGINS no browser can send (the processes run side by side)", () => {
  const cases = [
    "https://*.example.com",
    "https://App.Example.com",
    "https://app.example.com:443",
    "https://app.example.com?",
    "https://user@app.example.com",
  ];
  it.each(cases)("%s stops start-up with exit code 1 and one line naming CORS_ORIGINS", async (value) => {
    const result = await runGatewayToExit({ CORS_ORIGINS: value }, LIMIT_MS);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `${ACCEPTS} (got ${JSON.stringify(value)})\n` });
  }, LIMIT_MS + 5_000);
});

/**
 * REFRESH_FAMILY_TTL_SECONDS shorter than REFRESH_GRACE_SECONDS: reuse detection would forget a
 * family while the grace window still hands its rotated token the successor. Start-up refuses it.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { runGatewayToExit } from "../../support/gateway-exit.js";

const LIMIT_MS = 50_000;

describe("a refresh-token family forgotten inside its grace window", () => {
  it("stops start-up with exit code 1 and one line naming REFRESH_FAMILY_TTL_SECONDS", async () => {
    const result = await runGatewayToExit({ REFRESH_GRACE_SECONDS: "600", REFRESH_FAMILY_TTL_SECONDS: "60" }, LIMIT_MS);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "REFRESH_FAMILY_TTL_SECONDS (60) must not be shorter than REFRESH_GRACE_SECONDS (600): reuse detection would forget a token family while its grace window still serves it\n",
    });
  }, LIMIT_MS + 5_000);

  it("is no contradiction with reuse detection off, or a family kept as long as the window", () => {
    expect(() => loadConfig({ REFRESH_GRACE_SECONDS: "600", REFRESH_FAMILY_TTL_SECONDS: "60", REFRESH_REUSE_DETECTION: "false" })).not.toThrow();
    expect(loadConfig({ REFRESH_GRACE_SECONDS: "600", REFRESH_FAMILY_TTL_SECONDS: "600" }).coordination).toMatchObject({ refreshGraceSeconds: 600, refreshFamilyTtlSeconds: 600 });
  });
});

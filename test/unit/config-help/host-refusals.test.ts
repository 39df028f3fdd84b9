/**
 * A HOST that names no address stops start-up with one line naming HOST, not node's getaddrinfo stack.
 */
import { describe, expect, it } from "vitest";
import { runGatewayToExit } from "../../support/gateway-exit.js";

const LIMIT_MS = 50_000;

describe("HOST that does not resolve", () => {
  it("stops start-up with exit code 1 and one line naming HOST", async () => {
    // .invalid never resolves (RFC 2606); a host without DNS answers EAI_AGAIN instead.
    const result = await runGatewayToExit({ HOST: "gateway.invalid" }, LIMIT_MS);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^HOST=gateway\.invalid could not be resolved to an address \((ENOTFOUND|EAI_AGAIN)\), so nothing can listen on gateway\.invalid:0: set HOST to an address or name of this machine \(0\.0\.0\.0 for all\)\n$/);
  }, LIMIT_MS + 5_000);
});

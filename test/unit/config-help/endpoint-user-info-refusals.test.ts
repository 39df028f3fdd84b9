/**
 * SSO_OIDC_ENDPOINT and STS_ENDPOINT with user:password@: the AWS SDK signs with SigV4 and never sends
 * them, so a proxy that needs them would refuse every call while the password was printed in the
 * start-up banner. Start-up refuses the URL in one line that names the variable and hides the password.
 */
import { describe, expect, it } from "vitest";
import { runGatewayToExit } from "../../support/gateway-exit.js";

const LIMIT_MS = 50_000;
const ACCEPTS = "must be an http:// or https:// URL without user:password@ (the AWS SDK never sends them)";

describe.concurrent("endpoints with user:password@ (the processes run side by side)", () => {
  it.each(["SSO_OIDC_ENDPOINT", "STS_ENDPOINT"])("%s stops start-up with one line that never shows the password", async (variable) => {
    const env = { SSO_OIDC_ENDPOINT: "http://127.0.0.1:9", [variable]: "https://proxyuser:s3cret-pw@proxy.example:8443" };
    const result = await runGatewayToExit(env, LIMIT_MS);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `${variable} ${ACCEPTS} (got "https://***@proxy.example:8443")\n` });
  }, LIMIT_MS + 5_000);
});

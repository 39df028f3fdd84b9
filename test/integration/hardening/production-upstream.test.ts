import { afterAll, describe, expect, it } from "vitest";
import { spawnGateway, startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Production never runs on the emulator by accident: without an upstream it refuses to start with
 * one line saying what to set; an explicit UPSTREAM=embedded demo starts, warns loudly (log and
 * stderr), and never serves the explorer's credential-minting routes, even with EXPLORER=true.
 */

const SECRET = "production-upstream-test-secret-0001";
const started: GatewayProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((gateway) => gateway.stop()));
});

async function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnGateway({ env });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}

describe("NODE_ENV=production without an upstream", () => {
  it("refuses to start: exit 1 and one line naming UPSTREAM and SSO_OIDC_ENDPOINT, nothing listening", async () => {
    const { code, stdout, stderr } = await runToExit({ NODE_ENV: "production", GATEWAY_SECRET: SECRET });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toEqual([
      "UPSTREAM must be set when NODE_ENV=production: UPSTREAM=aws (IAM Identity Center in AWS_REGION) or SSO_OIDC_ENDPOINT=<url>; UPSTREAM=embedded runs the bundled emulator as a demo",
    ]);
  });
});

describe("NODE_ENV=production with UPSTREAM=embedded and EXPLORER=true", () => {
  it("starts, warns loudly in the log and on stderr, and serves no explorer emulator route", async () => {
    const gateway = await startGateway({ env: { NODE_ENV: "production", GATEWAY_SECRET: SECRET, UPSTREAM: "embedded", EXPLORER: "true", HOST: "127.0.0.1" } });
    started.push(gateway);
    const warnings = gateway.logLines().filter((line) => line.level === 40 && line.upstream === "embedded");
    expect(warnings.map((line) => line.msg)).toEqual([expect.stringMatching(/^NODE_ENV=production is running the embedded SSO OIDC emulator \(UPSTREAM=embedded\)/)]);
    expect(gateway.stderr()).toMatch(/^WARNING: NODE_ENV=production is running the embedded SSO OIDC emulator .*set UPSTREAM=aws or SSO_OIDC_ENDPOINT$/m);

    const origin = new URL(gateway.url).origin;
    for (const route of ["assertion", "authorization-code"]) {
      const response = await fetch(`${origin}/_explorer/emulator/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(response.status).toBe(404);
    }
    const page = await fetch(gateway.url, { headers: { accept: "text/html" } });
    expect(await page.text()).toContain('"emulatorPath":null');
  });

  it("does not warn in development, where the embedded emulator is the default", async () => {
    const gateway = await startGateway({ env: { NODE_ENV: "development", HOST: "127.0.0.1" } });
    started.push(gateway);
    expect(gateway.output()).not.toContain("NODE_ENV=production is running the embedded");
  });
});

/**
 * `npm run emulator` as a program: configured by EMULATOR_* variables and an EMULATOR_CONFIG
 * file, usable by the SDK, stopped cleanly by SIGTERM; bad values stop it at start naming the variable.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { EmulatorDevApi } from "../support/emulator-dev-api.js";
import { GRANT } from "../support/emulator-model.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const MAIN = join(ROOT, "src/emulator/main.ts");
const dir = mkdtempSync(join(tmpdir(), "emulator-cli-"));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", NODE_NO_WARNINGS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, output: () => output, exited };
}

async function listeningUrl(r: Run, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/[^\s]+)/.exec(r.output());
    if (match) return match[1]!;
    if (r.child.exitCode !== null) throw new Error(`emulator exited ${r.child.exitCode}: ${r.output()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`emulator did not print its URL: ${r.output()}`);
}

describe("npm run emulator", () => {
  it("serves the region, credentials and applications its environment names, and exits 0 on SIGTERM", async () => {
    const app = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-888888888888";
    const configPath = join(dir, "config.json");
    writeFileSync(configPath, JSON.stringify({ applications: [{ clientId: app, accessTokenLifetimeSeconds: 1234 }] }));
    const credentials = { accessKeyId: "AKIACLITEST000000001", secretAccessKey: "cli/test/secret/key/000000000000000000" };
    const r = run({
      EMULATOR_PORT: "0",
      EMULATOR_REGION: "eu-central-1",
      EMULATOR_ACCESS_KEY_ID: credentials.accessKeyId,
      EMULATOR_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      EMULATOR_CONFIG: configPath,
    });
    const url = await listeningUrl(r);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const { assertion } = await new EmulatorDevApi(url).assertion({ sub: "alice" });
    const client = new SSOOIDCClient({ endpoint: url, region: "eu-central-1", credentials, maxAttempts: 1 });
    try {
      const out = await client.send(new CreateTokenWithIAMCommand({ clientId: app, grantType: GRANT.jwtBearer, assertion }));
      expect(out.expiresIn).toBe(1234);
    } finally {
      client.destroy();
    }

    r.child.kill("SIGTERM");
    expect(await r.exited).toBe(0);
    await expect(fetch(`${url}/_emulator/health`)).rejects.toThrow();
  });

  for (const [variable, value] of [
    ["EMULATOR_PORT", "not-a-port"],
    ["EMULATOR_CONFIG", "/nonexistent/emulator-config.json"],
  ] as const) {
    it(`exits non-zero naming ${variable} when it is ${value}`, async () => {
      const r = run({ EMULATOR_PORT: "0", [variable]: value });
      expect(await r.exited).not.toBe(0);
      expect(r.output()).toContain(variable);
    });
  }

  it("exits non-zero naming the bad field when EMULATOR_CONFIG holds an invalid application", async () => {
    const configPath = join(dir, "bad.json");
    writeFileSync(configPath, JSON.stringify({ applications: [{ clientId: "x", accessTokenLifetimeSeconds: -1 }] }));
    const r = run({ EMULATOR_PORT: "0", EMULATOR_CONFIG: configPath });
    expect(await r.exited).not.toBe(0);
    expect(r.output()).toContain("accessTokenLifetimeSeconds");
  });
});

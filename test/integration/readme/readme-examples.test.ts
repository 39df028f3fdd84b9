import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { freePort } from "../../support/free-port.js";

/**
 * The README's shell examples run as written against a real `npm start`-style gateway with its
 * embedded emulator. Only the addresses change: tests never assume ports 4000/4001 are free.
 */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const README = readFileSync(`${REPO_ROOT}README.md`, "utf8");

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README.md has no "${heading}" section`);
  const next = README.indexOf("\n## ", start + heading.length + 2);
  return README.slice(start, next === -1 ? undefined : next);
}

function shellBlocks(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
}

function runBash(script: string, cwd = REPO_ROOT) {
  // stdin from /dev/null: with a socket as stdin (node's default pipes) and SHLVL unset, Debian's bash
  // treats itself as started by sshd and sources /etc/bash.bashrc, which fails under -u.
  return spawnSync("bash", ["-euo", "pipefail", "-c", script], { cwd, encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
}

describe("README examples", () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it("runs every example of the Examples section, in order, against the gateway and its embedded emulator", () => {
    const blocks = shellBlocks(section("## Examples"));
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const script = blocks
      .join("\n")
      .replace(/^GW=http:\/\/localhost:4000\/graphql/m, `GW=${gateway.url}`)
      .replace(/^EMU=http:\/\/localhost:4001/m, `EMU=${gateway.emulatorUrl}`);
    expect(script).toContain(`GW=${gateway.url}`);
    const result = runBash(script);
    expect(result.stderr).toBe("");
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout).toContain('"isAwsToken": true');
    expect(result.stdout).toContain('"code": "BAD_USER_INPUT"');
    expect(result.stdout).toContain('"subject": "alice"');
    expect(result.stdout).toContain('"subject": "bob"');
  });

  it("runs the trusted identity propagation examples as written after the Examples section's setup: tokens and credentials that sign, then a renewal", () => {
    const [setup] = shellBlocks(section("## Examples"));
    const blocks = shellBlocks(section("## Trusted identity propagation: AWS credentials for the user"));
    expect(blocks).toHaveLength(3);
    const script = [setup!, ...blocks]
      .join("\n")
      .replace(/^GW=http:\/\/localhost:4000\/graphql/m, `GW=${gateway.url}`)
      .replace(/^EMU=http:\/\/localhost:4001/m, `EMU=${gateway.emulatorUrl}`);
    const result = runBash(script);
    expect(result.stderr).toBe("");
    expect(result.status, result.stdout).toBe(0);
    const sessionArn = "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idcgw-apl-222222222222";
    // The exchange's credentials (printed without their secrets), GetCallerIdentity signed with them, the user they carry, the renewal.
    expect(result.stdout).toContain(`"roleArn": "arn:aws:iam::123456789012:role/IdentityCenterUser"`);
    expect(result.stdout).not.toMatch(/secretAccessKey|sessionToken/);
    expect(result.stdout).toContain(`<Arn>${sessionArn}</Arn>`);
    expect(result.stdout).toContain('"sub": "carol"');
    expect(result.stdout).toMatch(/"secondsRemaining": (899|900),\n\s*"assumedRoleArn": "arn:aws:sts::123456789012:assumed-role\/IdentityCenterUser\/idcgw-apl-222222222222"/);
  });

  it("runs the session mode examples as written against a gateway with SESSION_MODE=cookie: sign in, the session, a refresh, sign out", async () => {
    const blocks = shellBlocks(section("## Session mode: the browser holds a cookie, never a token"));
    expect(blocks).toHaveLength(2);
    const cookieGateway = await startGateway({ env: { SESSION_MODE: "cookie" } });
    try {
      const script = blocks
        .join("\n")
        .replace(/^GW=http:\/\/localhost:4000\/graphql/m, `GW=${cookieGateway.url}`)
        .replace(/^EMU=http:\/\/localhost:4001/m, `EMU=${cookieGateway.emulatorUrl}`);
      expect(script).toContain(`GW=${cookieGateway.url}`);
      const result = runBash(script);
      expect(result.stderr).toBe("");
      expect(result.status, result.stdout).toBe(0);
      // The sign-in shows no token, the jar holds the cookie, the session is alice's until signed out.
      expect(result.stdout).toMatch(/"accessToken": null,\n\s*"refreshToken": null/);
      expect(result.stdout).toMatch(/^1$/m);
      expect(result.stdout).toMatch(/"authenticated": true,\n\s*"subject": "alice"/);
      expect(result.stdout).toContain('"signOut": true');
      expect(result.stdout.trimEnd()).toMatch(/"authenticated": false\n}$/);
    } finally {
      await cookieGateway.stop();
    }
  });

  it("runs the standalone emulator example as written, on a free port", async () => {
    const [block] = shellBlocks(section("## The SSO OIDC emulator"));
    expect(block).toBeDefined();
    const port = String(await freePort());
    // No job control (a script, CI): `kill $!` must stop the emulator itself, not only a wrapper (`npm run emulator &`
    // then `kill %1` left the emulator listening when run as a script: a first-day review).
    const script = block!.replaceAll("4101", port);
    const result = runBash(script);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/m);
    expect(result.stdout).toContain('"CreateTokenWithIAM": 0');
    // `kill $!` stopped the emulator: nothing is left listening.
    await expect.poll(() => portAnswers(Number(port)), { timeout: 10_000 }).toBe(false);
  });
});

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

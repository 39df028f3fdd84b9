import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * `SESSION_MODE=cookie npm start` prints a sign-in and a session query that work as printed: curl
 * with a cookie jar and the CSRF header, against the real gateway and its embedded emulator.
 */
const run = promisify(execFile);
let gateway: GatewayProcess;
const dir = mkdtempSync(join(tmpdir(), "idc-banner-"));

beforeAll(async () => {
  gateway = await startGateway({ env: { SESSION_MODE: "cookie" } });
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every curl command the banner printed, as a user would copy them. */
function curlCommands(output: string): string[] {
  const commands: string[] = [];
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    if (line.startsWith("curl ")) current = [];
    if (current === undefined) continue;
    current.push(line);
    if (!line.endsWith("\\")) {
      commands.push(current.join("\n"));
      current = undefined;
    }
  }
  return commands;
}

it("prints a session-mode sign-in and session query that work as printed", async () => {
  await gateway.waitForOutput(/then ask who is signed in[\s\S]*--data '[^\n]*'\n/);
  const commands = curlCommands(gateway.output()).map((command) => command.replaceAll("/tmp/idc-session-jar", join(dir, "jar")));
  expect(commands).toHaveLength(2);
  expect(commands[0]).toContain("-H 'x-idc-csrf: 1'");
  const signIn = JSON.parse((await run("bash", ["-c", commands[0]!])).stdout) as { data: { createTokenWithIAM: { accessToken: string | null } } };
  expect(signIn.data.createTokenWithIAM.accessToken).toBeNull();
  const session = JSON.parse((await run("bash", ["-c", commands[1]!])).stdout) as { data: { session: { authenticated: boolean; subject: string } } };
  expect(session.data.session).toMatchObject({ authenticated: true, subject: "alice" });
});

/**
 * `npm run emulator` where it cannot listen: one line naming EMULATOR_HOST or EMULATOR_PORT and exit
 * code 1, not node's raw error object.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/emulator/main.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", NODE_NO_WARNINGS: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", fail);
    child.once("close", (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr });
    });
  });
}

let taken: Server;
let takenPort: number;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((done) => taken.listen(0, "127.0.0.1", done));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((done) => taken.close(() => done())));

describe.concurrent("npm run emulator cannot listen", () => {
  it("EMULATOR_HOST that does not resolve", async () => {
    const result = await runToExit({ EMULATOR_PORT: "0", EMULATOR_HOST: "emulator.invalid" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^EMULATOR_HOST=emulator\.invalid could not be resolved to an address \((ENOTFOUND|EAI_AGAIN)\): set EMULATOR_HOST to an address or name of this machine \(127\.0\.0\.1 by default\)\n$/);
  }, 35_000);

  it("EMULATOR_HOST that is not this machine's (a TEST-NET-2 address)", async () => {
    const result = await runToExit({ EMULATOR_PORT: "0", EMULATOR_HOST: "198.51.100.7" });
    expect(result).toMatchObject({ code: 1, stderr: "EMULATOR_HOST=198.51.100.7 is not an address of this machine, so 198.51.100.7:0 cannot be listened on: set EMULATOR_HOST to one of its addresses (127.0.0.1 by default)\n" });
  }, 35_000);

  it("EMULATOR_PORT already taken", async () => {
    const result = await runToExit({ EMULATOR_PORT: String(takenPort) });
    expect(result).toMatchObject({ code: 1, stderr: `EMULATOR_PORT=${takenPort} is already in use on 127.0.0.1 (something listens on 127.0.0.1:${takenPort}): set EMULATOR_PORT to a free port (0 picks one)\n` });
  }, 35_000);
});

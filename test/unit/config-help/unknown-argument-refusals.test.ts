/**
 * Settings are environment variables only: an argument other than --help stops start-up with one line
 * naming it, instead of being ignored while the gateway starts on its defaults.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { gatewayEnvironment } from "../../support/gateway-process.js";

const LIMIT_MS = 50_000;
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function runWithArguments(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
      cwd: REPO_ROOT,
      env: gatewayEnvironment({ NODE_NO_WARNINGS: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill("SIGKILL"), LIMIT_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.concurrent("arguments the gateway does not take (the processes run side by side)", () => {
  it("--port 5000", async () => {
    expect(await runWithArguments(["--port", "5000"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'unknown argument "--port": the gateway takes no arguments but --help; settings are environment variables (npm start -- --help lists them)\n',
    });
  }, LIMIT_MS + 5_000);

  it("PORT=5000 after the script", async () => {
    expect(await runWithArguments(["PORT=5000"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'unknown argument "PORT=5000": the gateway takes no arguments but --help; set it in the environment instead (PORT=… npm start)\n',
    });
  }, LIMIT_MS + 5_000);
});

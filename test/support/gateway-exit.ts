import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { gatewayEnvironment } from "./gateway-process.js";
import { gatewayEntryArgs } from "./compiled-gateway.js";

/**
 * Runs the gateway (`node --import tsx src/main.ts`, what `npm start` runs) until it exits, and
 * returns what an operator sees: the exit code and everything written. A process that starts
 * after all is killed after `killAfterMs` (its code is then null, which fails any refusal test).
 */
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface GatewayExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runGatewayToExit(env: Record<string, string | undefined>, killAfterMs = 50_000): Promise<GatewayExit> {
  return new Promise((resolve, reject) => {
    // NODE_NO_WARNINGS: the AWS SDK's Node-version notice is not the gateway's line.
    const child = spawn(process.execPath, gatewayEntryArgs(), {
      cwd: REPO_ROOT,
      env: gatewayEnvironment({ NODE_NO_WARNINGS: "1", ...env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

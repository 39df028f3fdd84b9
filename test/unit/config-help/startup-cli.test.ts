/**
 * The gateway's command line as a user meets it: `--help` prints and exits 0 without starting
 * anything; a bad setting stops start-up with exactly one line on stderr naming the variable.
 * Spawns `node --import tsx src/main.ts` (what `npm start` runs).
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../../src/config/config-variables.js";
import { formatHelp } from "../../../src/config/help.js";
import { GATEWAY_VERSION } from "../../../src/schema/package-version.js";
import { gatewayEnvironment } from "../../support/gateway-process.js";

const REPO_ROOT = new URL("../../../", import.meta.url);
/** How long a refused start-up may take before the process is killed (the test then fails: code null). */
const STARTUP_LIMIT_MS = 50_000;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runGateway(args: string[], env: Record<string, string | undefined>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
      cwd: REPO_ROOT,
      env: gatewayEnvironment(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    // Should it start a server after all, do not let it outlive the test. Generous: four of these start
    // side by side, each compiling src/main.ts with tsx, and a loaded host once took over 20 s to.
    const killer = setTimeout(() => child.kill("SIGKILL"), STARTUP_LIMIT_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("npm start -- --help", () => {
  it("prints every setting and exits 0 without reading the environment or starting anything", async () => {
    // PORT=abc would stop a real start-up: --help must not even read it.
    const result = await runGateway(["--help"], { PORT: "abc" });
    expect(result).toEqual({ code: 0, stdout: formatHelp(CONFIG_VARIABLES, GATEWAY_VERSION), stderr: "" });
  }, STARTUP_LIMIT_MS + 5_000);
});

describe.concurrent("a bad setting (the processes run side by side)", () => {
  const cases: { env: Record<string, string>; line: string }[] = [
    { env: { PORT: "abc" }, line: 'PORT must be an integer from 0 to 65535 (got "abc")' },
    { env: { UPSTREAM: "gcp" }, line: 'UPSTREAM must be aws or embedded (got "gcp")' },
    { env: { REDIS_URL: "http://user:hunter2@cache:6379" }, line: 'REDIS_URL must be redis://[user:pass@]host:port[/db], redis+sentinel://[user:pass@]host:port,…/<master>[/db] or redis+cluster://[user:pass@]host:port,… (rediss://, rediss+sentinel://, rediss+cluster:// for TLS) (got "http://***@cache:6379")' },
    { env: { GATEWAY_SECRET: "short-secret" }, line: "GATEWAY_SECRET must be a string of at least 32 bytes (got 12 bytes)" },
  ];

  it.each(cases)("$env stops start-up with exit code 1 and exactly one line: $line", async ({ env, line }) => {
    const result = await runGateway([], env);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `${line}\n` });
  }, STARTUP_LIMIT_MS + 5_000);
});

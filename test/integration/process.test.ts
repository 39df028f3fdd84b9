import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo, type Server } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnGateway, startGateway, type GatewayProcess } from "../support/gateway-process.js";

/**
 * The process as a user meets it (`npm start` runs `tsx src/main.ts`, which is what we spawn):
 * the ready log, the banner with a curl example that works as printed, health, and a clean stop.
 */

const run = promisify(execFile);
let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway?.stop();
});

/** The banner's curl command: the line starting it plus its backslash continuations, colours stripped. */
function curlCommandFrom(output: string): string {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const start = lines.findIndex((line) => /^\s*(\$\s*)?curl\s/.test(line));
  if (start < 0) throw new Error(`no curl example in the output:\n${output}`);
  const command: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    command.push(line.replace(/^\s*\$\s*/, ""));
    if (!line.trimEnd().endsWith("\\")) break;
  }
  return command.join("\n");
}

describe("start-up", () => {
  it("logs \"gateway ready\" with the /graphql URL on an ephemeral port and the embedded emulator's URL", () => {
    expect(gateway.readyLog.url).toMatch(/^http:\/\/[^/]+:\d+\/graphql$/);
    expect(new URL(gateway.readyLog.url).port).not.toBe("4000");
    expect(gateway.readyLog.mode).toBe("embedded");
    expect(gateway.readyLog.emulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(gateway.readyLog.emulatorUrl!).port).not.toBe("4001");
  });

  it("prints a banner with the URL, the mode and a curl example that works as printed", async () => {
    await gateway.waitForOutput(/curl\s[\s\S]*createTokenWithIAM/);
    const output = gateway.stdout();
    expect(output).toContain(gateway.url);
    expect(output.toLowerCase()).toContain("embedded");

    const { stdout } = await run("bash", ["-c", curlCommandFrom(output)], { timeout: 10_000 });
    const body = JSON.parse(stdout) as { data?: { createTokenWithIAM?: { accessToken?: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.createTokenWithIAM?.accessToken).toMatch(/^aoa/);
  });

  it("answers GET /healthz with 200", async () => {
    const response = await fetch(new URL("/healthz", gateway.url));
    expect(response.status).toBe(200);
  });
});

describe("configuration errors", () => {
  it("a bad PORT stops the program with exit code 1 and one line naming the variable, no stack trace", async () => {
    const child = spawnGateway({ env: { PORT: "abc" } });
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
    expect(output).toMatch(/PORT.*"abc"/);
    expect(output).not.toMatch(/^\s+at\s/m);
  });
});

/** Runs the gateway to its exit; its exit code and everything it printed. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawnGateway({ env });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  return { code, output };
}

describe("a port already taken", () => {
  let squatter: Server;
  let taken: number;
  beforeAll(async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    taken = (squatter.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  });

  it.each([
    { variable: "PORT", env: (port: number) => ({ PORT: String(port), HOST: "127.0.0.1" }) },
    { variable: "EMULATOR_PORT", env: (port: number) => ({ EMULATOR_PORT: String(port) }) },
    { variable: "METRICS_PORT", env: (port: number) => ({ METRICS_PORT: String(port), HOST: "127.0.0.1" }) },
  ])("stops with exit code 1 and one line naming $variable and a fix, no stack trace", async ({ variable, env }) => {
    const { code, output } = await runToExit(env(taken));
    expect(code).toBe(1);
    const line = output.split("\n").find((candidate) => candidate.startsWith(`${variable}=${taken} is already in use`));
    expect(line).toContain(`set ${variable} to a free port`);
    expect(output).not.toMatch(/^\s+at\s/m);
    expect(output).not.toContain("EADDRINUSE");
  });
});

describe("a settings file (ENV_FILE, default .env)", () => {
  const directory = mkdtempSync(join(tmpdir(), "idcgw-env-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = (name: string, content: string): string => {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  };

  it("is read at start: a bad value in it stops the gateway with the variable's one line", async () => {
    const { code, output } = await runToExit({ ENV_FILE: file("bad.env", "# comment\nMAX_DEPTH=deep\n") });
    expect(code).toBe(1);
    expect(output).toMatch(/^MAX_DEPTH must be .*"deep"/m);
  });

  it("loses to the environment (PORT=0 set, the file's PORT=abc ignored) and the gateway says which file it read", async () => {
    const path = file("env-wins.env", "PORT=abc\n");
    const started = await startGateway({ env: { ENV_FILE: path } });
    try {
      expect(started.logLines().find((line) => line.msg === `read settings from ${path} (variables set in the environment win)`)).toMatchObject({ file: path });
    } finally {
      await started.stop();
    }
  });

  it("named but missing stops the gateway with one line naming ENV_FILE", async () => {
    const { code, output } = await runToExit({ ENV_FILE: join(directory, "missing.env") });
    expect(code).toBe(1);
    expect(output.trim()).toBe(`ENV_FILE must be a file path, or empty to read no file: ${JSON.stringify(join(directory, "missing.env"))} does not exist`);
  });
});

describe("shutdown", () => {
  // SIGTERM (what Docker and Kubernetes send) is covered at the end of secrets-in-logs.test.ts,
  // which needs the complete output of a stopped process anyway.
  it("SIGINT (Ctrl-C) stops the gateway with exit code 0 and closes both the gateway's and the emulator's ports", async () => {
    const emulatorHealth = new URL("/_emulator/health", gateway.emulatorUrl!);
    expect((await fetch(emulatorHealth)).status).toBe(200);

    gateway.child.kill("SIGINT");
    const { code } = await gateway.exited;
    expect(code).toBe(0);
    await expect(fetch(emulatorHealth)).rejects.toThrow();
    await expect(fetch(new URL("/healthz", gateway.url))).rejects.toThrow();
  });
});

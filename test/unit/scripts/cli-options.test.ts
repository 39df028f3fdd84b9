import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * bench, fuzz and soak as a user runs them (`npm run <name> -- <options>`, which is `tsx <script>`):
 * `--help` prints the options and exits 0 at once; an unknown option stops with one line, exit 2,
 * instead of starting a run of minutes that ignores it.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SCRIPTS = { bench: "bench/run.ts", fuzz: "scripts/fuzz.ts", soak: "scripts/soak.ts" } as const;

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.each(Object.entries(SCRIPTS))("npm run %s", (name, script) => {
  it("--help lists every option with its default and exits 0 without running anything", async () => {
    const { code, stdout } = await run(script, ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: npm run ${name} -- [options]`);
    expect(stdout).toMatch(/--help\s+print this help and exit/);
    expect(stdout).toMatch(/\(default: [^)]+\)/);
  });

  it("an unknown option stops it with one line naming the option and exit code 2", async () => {
    const { code, stdout, stderr } = await run(script, ["--durration=5"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`Unknown option '--durration'; see \`npm run ${name} -- --help\`\n`);
  });
});

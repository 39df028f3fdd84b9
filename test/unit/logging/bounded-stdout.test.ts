import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LOG_BUFFER_MAX_BYTES } from "../../../src/logging/bounded-stdout.js";

/**
 * The gateway's stdout log stream holds at most LOG_BUFFER_MAX_BYTES unwritten (bounded-stdout.ts):
 * a real process writes 20 MB of log lines in one burst, faster than its pipe can take them. Its heap
 * grows by about the bound, not by the 20 MB (pino's own stream kept them all), the lines past the
 * bound are dropped, and the count of dropped lines is logged once stdout takes lines again.
 */
const FIXTURE = fileURLToPath(new URL("./fixtures/log-flood.ts", import.meta.url));

function run(): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", FIXTURE], { env: { ...process.env, LINES: "20000" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, stderr, code }));
  });
}

describe("the gateway's stdout log stream", () => {
  it("a burst of 20 MB of lines: heap grows by about the bound, the rest dropped and counted once stdout drains", async () => {
    const { stdout, stderr, code } = await run();
    expect(code).toBe(0);
    const { heapGrowth } = JSON.parse(stderr.trim().split("\n").at(-1)!) as { heapGrowth: number };
    expect(heapGrowth).toBeLessThan(LOG_BUFFER_MAX_BYTES * 2.5);
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as { msg: string; droppedLines?: number });
    const written = lines.filter((line) => line.msg === "flood line").length;
    const notes = lines.filter((line) => line.droppedLines !== undefined);
    expect(written).toBeGreaterThan(1000);
    expect(written).toBeLessThan(20_000);
    // Every dropped line is counted in a note (a short note may fit where a 1 KB line did not: then several).
    expect(notes.length).toBeGreaterThan(0);
    for (const note of notes) expect(note).toMatchObject({ level: 40, msg: expect.stringMatching(/^dropped \d+ log lines: stdout was not read/) });
    expect(notes.reduce((sum, note) => sum + note.droppedLines!, 0)).toBe(20_000 - written);
    expect(lines.at(-1)?.msg).toBe("after the flood");
  }, 60_000);
});

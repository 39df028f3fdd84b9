/**
 * Plants, one at a time, the deletion of each entry of SECRET_KEYS (and SECRET_CONTAINERS) in
 * src/logging/redaction.ts, runs the redaction tests against it, and restores the file. Prints,
 * per deletion and per run, how many tests failed and the first one's name: every deletion must fail
 * a named test on every run. `npx tsx scripts/plant-redaction-deletions.ts [runs=3]`.
 * Not part of `npm test`: it rewrites a source file while it runs (restored on exit, even on Ctrl-C).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SECRET_CONTAINERS, SECRET_KEYS } from "../src/logging/redaction.js";

const SOURCE = "src/logging/redaction.ts";
const TESTS = ["test/unit/logging", "test/unit/core/logger.test.ts", "test/unit/server/secrets-through-server.test.ts"];
const runs = Number(process.argv[2] ?? 3);
const original = readFileSync(SOURCE, "utf8");
const restore = () => writeFileSync(SOURCE, original);
process.on("SIGINT", () => {
  restore();
  process.exit(130);
});

/** The source without `"entry"` inside the array literal `arrayName = [ … ]`. */
function withoutEntry(arrayName: string, entry: string): string {
  const start = original.indexOf(`${arrayName} = [`);
  const end = original.indexOf("]", start);
  const list = original.slice(start, end);
  const mutated = list.replace(new RegExp(`\\s*"${entry.replace(/[-]/g, "\\$&")}",?`), "");
  if (mutated === list) throw new Error(`${entry} not found in ${arrayName}`);
  return original.slice(0, start) + mutated + original.slice(end);
}

interface VitestJson { assertionResults?: never; testResults: { assertionResults: { fullName: string; status: string }[] }[] }

function failedTests(outputFile: string): string[] {
  try {
    execFileSync("npx", ["vitest", "run", ...TESTS, "--reporter=json", `--outputFile=${outputFile}`], { stdio: "ignore" });
  } catch {
    // vitest exits 1 when a test fails: that is the expected outcome here.
  }
  const report = JSON.parse(readFileSync(outputFile, "utf8")) as VitestJson;
  return report.testResults.flatMap((file) => file.assertionResults.filter((test) => test.status === "failed").map((test) => test.fullName));
}

const workDir = mkdtempSync(join(tmpdir(), "plant-redaction-"));
const plants: [string, string][] = [...SECRET_KEYS.map((key) => ["SECRET_KEYS", key] as [string, string]), ...SECRET_CONTAINERS.map((key) => ["SECRET_CONTAINERS", key] as [string, string])];
let survivors = 0;
try {
  for (const [arrayName, entry] of plants) {
    const counts: number[] = [];
    let example = "";
    for (let run = 0; run < runs; run++) {
      writeFileSync(SOURCE, withoutEntry(arrayName, entry));
      const failed = failedTests(join(workDir, "report.json"));
      restore();
      counts.push(failed.length);
      example ||= failed.find((name) => name.includes(entry)) ?? failed[0] ?? "";
    }
    if (counts.some((count) => count === 0)) survivors += 1;
    console.log(`${arrayName} − ${JSON.stringify(entry)}: failed per run ${counts.join("/")}; e.g. "${example}"`);
  }
} finally {
  restore();
  rmSync(workDir, { recursive: true, force: true });
}
console.log(survivors === 0 ? `every one of ${plants.length} deletions failed a test on every run` : `${survivors} deletion(s) survived a run`);
process.exitCode = survivors === 0 ? 0 : 1;

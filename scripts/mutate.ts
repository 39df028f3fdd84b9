/**
 * `npm run mutate`: Stryker over the core (stryker.config.mjs), with any Stryker option passed on,
 * e.g. `npm run mutate -- --mutate 'src/tokens/**\/*.ts,!src/**\/*.types.ts'`.
 *
 * Stryker's html and json reporters write files, but its clear-text report (the per-file score table
 * and every surviving mutant) only goes to stdout; this copies stdout to
 * reports/mutation/clear-text.txt (or $MUTATION_REPORT_DIR/clear-text.txt) as well, so a long run can be read afterwards. Exit code: Stryker's.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The same folder stryker.config.mjs writes its html and json reports to.
const REPORT_DIR = join(fileURLToPath(new URL("../", import.meta.url)), process.env.MUTATION_REPORT_DIR ?? "reports/mutation");
// The package exports no bin path; find it next to its package.json.
const strykerBin = join(dirname(createRequire(import.meta.url).resolve("@stryker-mutator/core/package.json")), "bin", "stryker.js");

mkdirSync(REPORT_DIR, { recursive: true });
const clearText = createWriteStream(join(REPORT_DIR, "clear-text.txt"));
const stryker = spawn(process.execPath, [strykerBin, "run", ...process.argv.slice(2)], {
  stdio: ["inherit", "pipe", "inherit"],
});
stryker.stdout.pipe(process.stdout);
stryker.stdout.pipe(clearText);
// Ctrl-C reaches Stryker through the shared process group; wait for it to clean its sandbox.
process.on("SIGINT", () => {});
stryker.on("exit", (code, signal) => {
  clearText.end(() => process.exit(code ?? (signal === null ? 1 : 128)));
});

/**
 * Vitest's global setup: compiles src/ once per run (tsc, as `npm run build` does) for the tests that
 * start the gateway as a process, which then run compiled JavaScript instead of tsx. tsx resolves and
 * transpiles every import of every process through loader hooks: a gateway took 2.3 s and 3.7 s of CPU
 * to listen under tsx, 1.4 s and 2.3 s compiled, and the suite starts a gateway a few hundred times.
 *
 * The output lives in `.test-dist-<hash of src/ and the tsconfigs>/` at the repository's root, beside
 * src/ (the gateway finds package.json and the explorer's sources relative to itself, so it must sit
 * at src/'s depth). A run whose sources are unchanged reuses it; a new one is compiled into a temporary
 * folder and renamed into place, so two runs at once never start a half-written gateway. Folders of
 * older sources go once two hours have passed since a run last used them.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPILED_GATEWAY_VARIABLE } from "./compiled-gateway.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PREFIX = ".test-dist-";
/** Longer than any run (CI stops one at 90 minutes): a folder unused this long serves no run. Each is ~3 MB. */
const STALE_AFTER_MS = 2 * 60 * 60 * 1000;

export default function setup(): void {
  const dir = join(REPO_ROOT, `${PREFIX}${sourcesHash()}`);
  if (!existsSync(join(dir, "main.js"))) compileInto(dir);
  // Used now: not stale for another run with other sources to remove.
  const now = new Date();
  utimesSync(dir, now, now);
  removeStale(dir);
  // Forked test workers inherit the environment; so do the gateways they start, which ignore it.
  process.env[COMPILED_GATEWAY_VARIABLE] = join(dir, "main.js");
}

function sourcesHash(): string {
  const hash = createHash("sha256");
  const files = [...listFiles(join(REPO_ROOT, "src")), join(REPO_ROOT, "tsconfig.json"), join(REPO_ROOT, "tsconfig.build.json")].sort();
  for (const file of files) hash.update(relative(REPO_ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex").slice(0, 16);
}

function* listFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* listFiles(path);
    else yield path;
  }
}

function compileInto(dir: string): void {
  const building = `${dir}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", join(REPO_ROOT, "tsconfig.build.json"), "--outDir", building], {
      cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    const output = (error as { stdout?: Buffer }).stdout?.toString("utf8") ?? "";
    throw new Error(`compiling src/ for the tests that start the gateway failed (tsc -p tsconfig.build.json):\n${output}`);
  }
  try {
    renameSync(building, dir);
  } catch (error) {
    // Another run compiled the same sources first: theirs is as good.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(dir, "main.js"))) throw error;
  }
}

function removeStale(current: string): void {
  const now = Date.now();
  for (const entry of readdirSync(REPO_ROOT)) {
    const path = join(REPO_ROOT, entry);
    if (!entry.startsWith(PREFIX) || path === current) continue;
    if (now - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { recursive: true, force: true });
  }
}

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./processes.js";

/**
 * What the bench runs: compiled JavaScript, as production does (`npm run build` → `node dist/main.js`,
 * the Dockerfile's CMD). Under `node --import tsx` the same gateway answered `{ __typename }` ~40%
 * slower and started 45 MB bigger on this machine, so the tsx runner would measure the loader, not the
 * gateway. The bench's own programs (naive gateway, direct-SDK worker) are compiled the same way so
 * every process under test runs plain JS. `--runner=tsx` runs everything from source instead.
 */

export type Runner = "dist" | "tsx";

const BENCH_BUILD_DIR = join(REPO_ROOT, "node_modules", ".cache", "idc-bench");
const BENCH_PROGRAMS = ["bench/naive-gateway.ts", "bench/direct-sdk-worker.ts", "bench/hostile-caller-worker.ts"];

export interface Programs {
  runner: Runner;
  /** Node argv (after the node binary) for each program; extra Node flags go first. */
  gateway(nodeFlags?: string[]): string[];
  emulator(): string[];
  naiveGateway(nodeFlags?: string[]): string[];
  directSdkWorker(): string[];
  hostileCallerWorker(): string[];
  buildWarnings: string[];
}

export function preparePrograms(runner: Runner, options: { build?: boolean } = {}): Programs {
  const warnings: string[] = [];
  if (runner === "dist" && options.build !== false) {
    // tsc still emits when another engineer's work-in-progress has a type error; say so, run anyway.
    const gateway = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (gateway.status !== 0) warnings.push(`npm run build reported errors (dist/ emitted anyway):\n${(gateway.stdout + gateway.stderr).trim().slice(0, 2000)}`);
    const bench = spawnSync(
      "npx",
      ["tsc", "--outDir", BENCH_BUILD_DIR, "--rootDir", join(REPO_ROOT, "bench"), "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "--sourceMap", "false", ...BENCH_PROGRAMS],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    if (bench.status !== 0) warnings.push(`compiling the bench programs reported errors:\n${(bench.stdout + bench.stderr).trim().slice(0, 2000)}`);
    for (const file of ["dist/main.js", "dist/emulator/main.js"]) {
      if (!existsSync(join(REPO_ROOT, file))) throw new Error(`the build did not produce ${file}:\n${warnings.join("\n")}`);
    }
  }
  const compiled = (source: string) => join(BENCH_BUILD_DIR, source.replace(/^bench\//, "").replace(/\.ts$/, ".js"));
  const run = (source: string, dist: string, nodeFlags: string[] = []) =>
    runner === "dist" ? [...nodeFlags, dist] : [...nodeFlags, "--import", "tsx", source];
  return {
    runner,
    gateway: (nodeFlags = []) => run("src/main.ts", "dist/main.js", [...PRODUCTION_HEAP_FLAGS, ...nodeFlags]),
    emulator: () => run("src/emulator/main.ts", "dist/emulator/main.js"),
    naiveGateway: (nodeFlags = []) => run("bench/naive-gateway.ts", compiled("bench/naive-gateway.ts"), nodeFlags),
    directSdkWorker: () => run("bench/direct-sdk-worker.ts", compiled("bench/direct-sdk-worker.ts")),
    hostileCallerWorker: () => run("bench/hostile-caller-worker.ts", compiled("bench/hostile-caller-worker.ts")),
    buildWarnings: warnings,
  };
}

/** The heap budget the image runs the gateway with (the Dockerfile's NODE_OPTIONS; a test keeps the two equal). */
export const PRODUCTION_HEAP_FLAGS = ["--max-old-space-size=160", "--max-semi-space-size=16"] as const;

let current: Programs | undefined;

/** Builds once at bench start; every start helper asks `programs()` how to run its process. */
export function usePrograms(runner: Runner, options: { build?: boolean } = {}): Programs {
  current = preparePrograms(runner, options);
  return current;
}

export function programs(): Programs {
  current ??= preparePrograms("tsx");
  return current;
}

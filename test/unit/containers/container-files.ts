/**
 * Readers for the container files, for tests: a Dockerfile parsed into stages and instructions,
 * Compose-style variable interpolation, and the files `npm run build` emits (from tsconfig.build.json,
 * via the TypeScript API, without compiling).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const readRepoFile = (path: string) => readFileSync(new URL(path, new URL("../../../", import.meta.url)), "utf8");

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** ARG lines before the first FROM: name → default. */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
}

/** Joins `\` continuations, drops comments and blank lines, splits into stages at each FROM. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(pending + line);
    pending = "";
  }
  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === "FROM") {
      const [, from = "", name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === "ARG") {
      const [name = "", value] = args.split("=", 2);
      globalArgs.set(name, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The JSON (exec) form of CMD/HEALTHCHECK CMD/ENTRYPOINT; throws on the shell form. */
export function execForm(args: string): string[] {
  const json = args.replace(/^.*?\bCMD\s+/, "").trim();
  return JSON.parse(json.startsWith("[") ? json : args) as string[];
}

/**
 * Compose's interpolation: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
 * `${VAR?message}`. Throws the message for a required variable that is missing.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, operator: string | undefined, operand: string | undefined) => {
    if (match === "$$") return "$";
    const current = env[name!];
    const missing = operator?.startsWith(":") ? current === undefined || current === "" : current === undefined;
    if (!operator) return current ?? "";
    if (operator.endsWith("-")) return missing ? operand! : current!;
    if (missing) throw new Error(`required variable ${name}: ${operand}`);
    return current!;
  });
}

/** KEY=value lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const entries = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const);
  return Object.fromEntries(entries);
}

/** The .js files `npm run build` (tsc -p tsconfig.build.json) emits, relative to the repository root. */
export function buildOutputs(): string[] {
  const configPath = ts.findConfigFile(REPO_ROOT, ts.sys.fileExists, "tsconfig.build.json")!;
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } })!;
  return parsed.fileNames
    .flatMap((file) => ts.getOutputFileNames(parsed, file, false))
    .filter((file) => file.endsWith(".js"))
    .map((file) => file.slice(REPO_ROOT.length));
}

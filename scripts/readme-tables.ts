/**
 * The README's generated tables: configuration (from CONFIG_VARIABLES) and error codes (from
 * ERROR_CODES). `npm run docs` rewrites them between their markers; test/unit/readme-tables.test.ts
 * fails when the README and the code disagree, so the documentation cannot drift.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONFIG_VARIABLES } from "../src/config/index.js";
import { ERROR_CODES } from "../src/errors/error-codes.js";

export const README_PATH = fileURLToPath(new URL("../README.md", import.meta.url));

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export function configTable(): string {
  const rows = CONFIG_VARIABLES.map(
    (variable) => `| \`${variable.name}\` | ${variable.default === null ? "(unset)" : `\`${cell(variable.default)}\``} | ${cell(variable.description)} |`,
  );
  return ["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n");
}

export function errorCodeTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, entry]) => `| \`${code}\` | ${entry.httpStatus} | ${entry.retryable ? "yes" : "no"} | ${cell(entry.message)} |`,
  );
  return ["| `extensions.code` | HTTP status class | retry may help | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

export const GENERATED_SECTIONS = { "config-table": configTable, "error-code-table": errorCodeTable } as const;

/** The README with every generated section replaced by what the code says now. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(GENERATED_SECTIONS)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from === -1 || to === -1 || to < from) throw new Error(`README.md lacks the markers ${start} … ${end}`);
    out = `${out.slice(0, from + start.length)}\n${render()}\n${out.slice(to)}`;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(README_PATH, "utf8");
  const after = renderReadme(before);
  writeFileSync(README_PATH, after);
  process.stdout.write(before === after ? "README.md tables already up to date\n" : "README.md tables regenerated\n");
}

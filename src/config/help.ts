/**
 * `npm start -- --help`: every setting the gateway reads, built from CONFIG_VARIABLES (the same
 * list loadConfig parses with and the README table is generated from), so the three never drift.
 */
import type { ConfigVariable } from "./config-variables.js";

/** True when the command line asks for help (`--help` or `-h`, anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

const WIDTH = 100;
const INDENT = "    ";

/** The help text: usage, then one block per variable (name, meaning, default, what it accepts). */
export function formatHelp(variables: readonly ConfigVariable[], version: string): string {
  const lines = [
    `idc-token-gateway ${version}: a GraphQL gateway for AWS IAM Identity Center's CreateTokenWithIAM`,
    "",
    "Usage:",
    "  npm start                       start the gateway (http://localhost:4000/graphql by default)",
    "  npm start -- --help             print this help and exit",
    "  node dist/main.js [--help]      the same, from a build (`npm run build`; the container image)",
    "",
    "Settings are environment variables (an empty value means the default). A bad value stops start-up",
    "with one line naming the variable and what it accepts. `.env.example` lists them all.",
    "",
    "Environment variables:",
  ];
  for (const variable of variables) {
    lines.push("", `  ${variable.name}`);
    lines.push(...wrap(variable.description, `${INDENT}`));
    lines.push(...wrap(`default: ${variable.default ?? "(unset)"}`, INDENT));
    lines.push(...wrap(`accepts: ${variable.accepts}`, INDENT));
  }
  lines.push(
    "",
    "The embedded emulator (used when neither SSO_OIDC_ENDPOINT nor UPSTREAM=aws is set) also reads",
    "EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY and EMULATOR_CONFIG: see docs/emulator.md.",
    "With UPSTREAM=aws, AWS credentials come from the SDK's default chain (AWS_* variables, profiles,",
    "instance and task roles).",
    "",
  );
  return lines.join("\n");
}

/** Greedy word wrap at WIDTH columns; a word longer than the line stays whole. */
function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line.length > indent.length && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${word}` : word;
  }
  if (line.length > indent.length) lines.push(line);
  return lines;
}

/**
 * `.env.example`: every variable, commented out at its default, with its meaning and what it accepts.
 * Written by `npm run env:example`; test/unit/config-help/env-example.test.ts fails when it is stale.
 * A default that is a sentence rather than a value (e.g. "true (false when NODE_ENV=production)")
 * is shown in the comment and left empty in the assignment, so uncommenting never sets a bad value.
 */
export function formatEnvExample(variables: readonly ConfigVariable[]): string {
  const lines = [
    "# idc-token-gateway settings: every environment variable the gateway reads, at its default.",
    "# Generated from src/config/config-variables.ts by `npm run env:example`: do not edit by hand.",
    "# Copy to .env and uncomment what you change: `npm start` and `node dist/main.js` read ./.env by",
    "# themselves (ENV_FILE names another file); with Docker use `docker run --env-file .env`. Variables",
    "# already set in the environment win over the file. An empty value means the default.",
  ];
  for (const variable of variables) {
    lines.push("", ...wrap(variable.description, "# ").map((line) => line.trimEnd()));
    lines.push(...wrap(`Default: ${variable.default ?? "(unset)"}. Accepts: ${variable.accepts}.`, "# "));
    const value = variable.default !== null && !/\s/.test(variable.default) ? variable.default : "";
    lines.push(`# ${variable.name}=${value}`);
  }
  lines.push("");
  return lines.join("\n");
}

import { parseArgs } from "node:util";

/** One `--name=<value>` option of a command: what it takes, its default, what it does. */
export interface CliOption {
  value: string;
  default: string;
  description: string;
}

export interface CliSpec {
  /** How the command is run, e.g. `npm run bench --`. */
  command: string;
  summary: string;
  options: Record<string, CliOption>;
}

/**
 * The options of bench, fuzz and soak, read with node's own `util.parseArgs` (strict): `--help`
 * prints them and exits 0; an unknown option or a missing value stops the command with one line
 * and exit code 2, instead of starting a long run that silently ignores it.
 */
export function readCliOptions(spec: CliSpec, argv: string[] = process.argv.slice(2)): Record<string, string | undefined> {
  const options = Object.fromEntries(Object.keys(spec.options).map((name) => [name, { type: "string" as const }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}; see \`${spec.command} --help\`\n`);
    process.exit(2);
  }
  if (parsed.values.help === true) {
    process.stdout.write(formatCliHelp(spec));
    process.exit(0);
  }
  return parsed.values as Record<string, string | undefined>;
}

export function formatCliHelp(spec: CliSpec): string {
  const rows = Object.entries(spec.options).map(([name, option]) => [`  --${name}=${option.value}`, `${option.description} (default: ${option.default})`] as const);
  const width = Math.max(...rows.map(([left]) => left.length), "  --help".length) + 2;
  const lines = [...rows, ["  --help", "print this help and exit"] as const].map(([left, right]) => `${left.padEnd(width)}${right}`);
  return `${spec.summary}\n\nUsage: ${spec.command} [options]\n\n${lines.join("\n")}\n`;
}

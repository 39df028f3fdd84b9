/**
 * The gateway's command line takes `--help` (`-h`) only: every setting is an environment variable.
 * Anything else (`--port 5000`, `PORT=5000` after the script name) would otherwise be ignored while the
 * gateway started with its defaults; this names the first such argument, for a one-line refusal.
 */
export function describeUnknownArgument(argv: readonly string[]): string | undefined {
  const unknown = argv.find((argument) => argument !== "--help" && argument !== "-h");
  if (unknown === undefined) return undefined;
  const assignment = /^([A-Z][A-Z0-9_]*)=/.exec(unknown);
  const hint = assignment ? `set it in the environment instead (${assignment[1]}=… npm start)` : "settings are environment variables (npm start -- --help lists them)";
  return `unknown argument ${JSON.stringify(unknown)}: the gateway takes no arguments but --help; ${hint}`;
}

/**
 * A bad environment variable. The message is one line that names the variable, says what it
 * accepts and shows the bad value (never GATEWAY_SECRET's), so `main.ts` can print it as is.
 */
export class ConfigError extends Error {
  /** The environment variable at fault, e.g. `PORT`. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

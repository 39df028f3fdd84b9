import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import type { LogLevel } from "../config/config.types.js";
import { redactSecrets } from "./redaction.js";

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  level: LogLevel;
  /** Component name, written as `name` on every line. */
  name?: string;
  /** Where the JSON lines go; stdout when omitted (tests pass a capturing stream). */
  destination?: DestinationStream;
}

/**
 * The gateway's logger: JSON lines, secrets redacted wherever they sit in a logged object or a
 * child logger's bindings (see redaction.ts). Redaction covers objects only: never interpolate a secret
 * into a message string.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    ...(options.name === undefined ? {} : { name: options.name }),
    formatters: {
      // Runs before serializers: errors are serialized (and redacted) here.
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
    serializers: {
      // Already serialized by redactSecrets; pino's default would re-wrap the plain object as type "Object".
      err: (value: unknown) => (value instanceof Error ? redactSecrets(value) : value),
    },
  };
  const logger = options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination);
  redactChildBindings(logger);
  return logger;
}

/**
 * pino applies `formatters.bindings` to the root's bindings only, so children's bindings are
 * redacted here. Children are created with Object.create(parent) and inherit this override.
 */
function redactChildBindings(logger: Logger): void {
  type ChildFactory = (this: Logger, bindings: pino.Bindings, childOptions?: pino.ChildLoggerOptions) => Logger;
  const pinoChild = logger.child as unknown as ChildFactory;
  const redactingChild: ChildFactory = function child(bindings, childOptions) {
    return pinoChild.call(this, redactSecrets(bindings) as pino.Bindings, childOptions);
  };
  logger.child = redactingChild as unknown as Logger["child"];
}

import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import type { LogLevel } from "../config/config.types.js";
import { boundedStdout } from "./bounded-stdout.js";
import { redactSecrets } from "./redaction.js";

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  level: LogLevel;
  /** Component name, written as `name` on every line. */
  name?: string;
  /** Where the JSON lines go; stdout, bounded (bounded-stdout.ts), when omitted (tests pass a capturing stream). */
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
    hooks: {
      // Redacts what a log call is given before pino sees it, not in `formatters.log`: pino 10 publishes
      // the object it is about to write on the `tracing:pino_asJson:start` diagnostics channel to any
      // subscriber in the process (an APM agent) before its formatters run. Errors are serialized (and
      // redacted) here too, under `err` with their message as the line's, as pino does with an Error.
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (first instanceof Error) {
          const err = redactSecrets(first) as { message?: unknown };
          return method.apply(this, [{ err }, ...(rest.length > 0 ? rest : [typeof err.message === "string" ? err.message : ""])] as Parameters<typeof method>);
        }
        if (typeof first === "object" && first !== null) return method.apply(this, [redactSecrets(first), ...rest] as Parameters<typeof method>);
        return method.apply(this, args);
      },
    },
    serializers: {
      // Already serialized by redactSecrets; pino's default would re-wrap the plain object as type "Object".
      err: (value: unknown) => (value instanceof Error ? redactSecrets(value) : value),
    },
  };
  const logger = pino(pinoOptions, options.destination ?? boundedStdout());
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

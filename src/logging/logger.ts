import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import type { LogLevel } from "../config/config.types.js";
import { censor, redactionPaths } from "./redaction.js";

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  level: LogLevel;
  /** Component name, written as `name` on every line. */
  name?: string;
  /** Where the JSON lines go; stdout when omitted (tests pass a capturing stream). */
  destination?: DestinationStream;
}

/**
 * The gateway's logger: JSON lines, secrets redacted wherever they sit in a logged object.
 * Redaction covers objects only: never interpolate a secret into a message string.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions = {
    level: options.level,
    ...(options.name === undefined ? {} : { name: options.name }),
    redact: { paths: redactionPaths(), censor },
  };
  return options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination);
}

import type { RunningEmulator } from "../../src/emulator/index.js";
import { GatewayError } from "../../src/errors/error-codes.js";
import { createLogger, type Logger } from "../../src/logging/logger.js";
import { createUpstream } from "../../src/upstream/index.js";
import type { EmulatorDevApi } from "./emulator-dev-api.js";

/** What the in-process upstream tests share: the rejection they expect, a live identity context, log lines as data. */

/** The GatewayError `promise` rejects with (anything else fails the test with what it was). */
export async function gatewayRejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

/** A live identity context for `sub`: what a real JWT-bearer exchange with the emulator answers with. */
export async function liveIdentityContext(emulator: RunningEmulator, dev: EmulatorDevApi, sub = "alice"): Promise<string> {
  const { assertion } = await dev.assertion({ sub });
  const oidc = createUpstream({ region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials, timeoutMs: 2000, connectTimeoutMs: 1000, maxAttempts: 1, logger: createLogger({ level: "silent" }) });
  try {
    const answer = await oidc.createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
    return answer.awsAdditionalDetails!.identityContext!;
  } finally {
    oidc.destroy();
  }
}

/** One pino line as data: level number (20 debug, 30 info, 40 warn, 50 error), message and fields. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A real logger at debug whose lines land in `lines`, parsed. */
export function loggerInto(lines: LogLine[]): Logger {
  return createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
}

/** A line without what changes run to run (time, pid, host). */
export const fieldsOf = ({ time: _t, pid: _p, hostname: _h, ...rest }: LogLine): Omit<LogLine, "time" | "pid" | "hostname"> => rest;

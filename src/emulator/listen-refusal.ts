/**
 * `npm run emulator`: a listen failure said in one line naming the EMULATOR_* variable to change,
 * instead of node's raw error object. Undefined for errors that are not about where it listens.
 */
export function describeEmulatorListenFailure(error: unknown, where: { host: string; port: number }): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const at = `${where.host}:${where.port}`;
  switch (code) {
    case "EADDRINUSE":
      return `EMULATOR_PORT=${where.port} is already in use on ${where.host} (something listens on ${at}): set EMULATOR_PORT to a free port (0 picks one)`;
    case "EACCES":
      return `EMULATOR_PORT=${where.port} needs privileges this process lacks (ports below 1024): set EMULATOR_PORT to 1024 or above`;
    case "EADDRNOTAVAIL":
      return `EMULATOR_HOST=${where.host} is not an address of this machine, so ${at} cannot be listened on: set EMULATOR_HOST to one of its addresses (127.0.0.1 by default)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `EMULATOR_HOST=${where.host} could not be resolved to an address (${code}): set EMULATOR_HOST to an address or name of this machine (127.0.0.1 by default)`;
    default:
      return undefined;
  }
}

/**
 * A port the process cannot listen on, said in one line naming the setting to change, instead of
 * node's raw EADDRINUSE/EACCES/EADDRNOTAVAIL/ENOTFOUND stack (which names neither the variable nor a fix).
 * Returns undefined for any other error: those are not configuration problems and keep their stack.
 */
export function describeListenFailure(error: unknown, setting: { variable: string; port: number; host: string; hostVariable?: string }): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${setting.host}:${setting.port}`;
  switch (code) {
    case "EADDRINUSE":
      return `${setting.variable}=${setting.port} is already in use on ${setting.host} (another process listens on ${where}): stop it, or set ${setting.variable} to a free port (0 picks one)`;
    case "EACCES":
      return `${setting.variable}=${setting.port} needs privileges this process lacks (ports below 1024): set ${setting.variable} to 1024 or above`;
    case "EADDRNOTAVAIL":
      return `${setting.hostVariable ?? "HOST"}=${setting.host} is not an address of this machine, so ${where} cannot be listened on: set ${setting.hostVariable ?? "HOST"} to one of its addresses (0.0.0.0 for all)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      // getaddrinfo: the name has no address (ENOTFOUND) or DNS did not answer (EAI_AGAIN).
      return `${setting.hostVariable ?? "HOST"}=${setting.host} could not be resolved to an address (${code}), so nothing can listen on ${where}: set ${setting.hostVariable ?? "HOST"} to an address or name of this machine (0.0.0.0 for all)`;
    default:
      return undefined;
  }
}

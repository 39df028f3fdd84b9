import { ConfigError } from "./config-error.js";

/**
 * The gateway's own listeners on one port: METRICS_PORT (bound first, on HOST) or the embedded
 * emulator's EMULATOR_PORT (started first) would take it, and the next listener would fail as if
 * another process held it. Refused at start, naming the variable to change. 0 (ephemeral) never clashes.
 */
export function refusePortClashes(ports: { port: number; metricsPort: number | undefined; emulatorPort: number | undefined }): void {
  const { port, metricsPort, emulatorPort } = ports;
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError("METRICS_PORT", `METRICS_PORT (${metricsPort}) must differ from PORT (${port}): /metrics gets a listener of its own (unset METRICS_PORT to serve it on PORT)`);
  }
  if (emulatorPort === undefined || emulatorPort === 0) return;
  for (const [name, other] of [["PORT", port], ["METRICS_PORT", metricsPort]] as const) {
    if (other === emulatorPort) {
      throw new ConfigError("EMULATOR_PORT", `EMULATOR_PORT (${emulatorPort}) must differ from ${name} (${other}): the embedded emulator listens on a port of its own`);
    }
  }
}

/**
 * How a test starts the gateway as a process: the compiled `main.js` the global setup built
 * (compiled-gateway.global-setup.ts), or, outside a Vitest run (scripts/fuzz.ts, scripts/soak.ts),
 * src/main.ts under tsx as `npm start` runs it.
 */
export const COMPILED_GATEWAY_VARIABLE = "IDCGW_TEST_COMPILED_GATEWAY";

/** The node arguments that run the gateway, relative to the repository's root. */
export function gatewayEntryArgs(): string[] {
  const compiled = process.env[COMPILED_GATEWAY_VARIABLE];
  return compiled === undefined || compiled === "" ? ["--import", "tsx", "src/main.ts"] : [compiled];
}

export { loadConfig } from "./load-config.js";
export { ConfigError } from "./config-error.js";
export { CONFIG_VARIABLES, DEFAULT_APPLICATION_ARN, type ConfigVariable } from "./config-variables.js";
export type { GatewayConfig, UpstreamConfig, NodeEnv, LogLevel } from "./config.types.js";
export { loadEnvFile } from "./env-file.js";

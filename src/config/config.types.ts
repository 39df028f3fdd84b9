/** The gateway's validated, typed configuration. Built once by `loadConfig(env)` in this folder. */

export type NodeEnv = "development" | "production" | "test";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Where CreateTokenWithIAM goes. A discriminated union: switch on `mode` exhaustively. */
export type UpstreamConfig =
  /** SSO_OIDC_ENDPOINT set: the SDK talks to that endpoint (an emulator, a proxy). */
  | { mode: "endpoint"; endpoint: string; region: string }
  /** UPSTREAM=aws: real AWS in `region`, credentials from the SDK's default chain. */
  | { mode: "aws"; region: string }
  /** Default: the embedded emulator, started by main.ts on `emulatorPort`. */
  | { mode: "embedded"; region: string; emulatorPort: number };

export interface GatewayConfig {
  port: number;
  host: string;
  nodeEnv: NodeEnv;
  logLevel: LogLevel;
  upstream: UpstreamConfig;
  /** Per-attempt request timeout for CreateTokenWithIAM, ms. */
  upstreamTimeoutMs: number;
  /** Connect timeout, ms. */
  upstreamConnectTimeoutMs: number;
  /** Total attempts for retryable faults (1 = no retry). */
  upstreamMaxAttempts: number;
  /** The application ARN used when a request names none. */
  defaultClientId: string;
  /** Applications the gateway will exchange for. Always contains defaultClientId. */
  allowedClientIds: readonly string[];
  redisUrl: string | undefined;
  /** Key material for key derivation (HMAC) and at-rest encryption; >= 32 bytes. */
  gatewaySecret: Buffer;
  /** True when no GATEWAY_SECRET was given and one was generated for this process (development only). */
  gatewaySecretGenerated: boolean;
  introspection: boolean;
}

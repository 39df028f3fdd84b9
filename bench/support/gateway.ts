import { EMULATOR_CREDENTIALS, REGION, spawnBenchProcess, tsxArgs, type BenchProcess } from "./processes.js";

/**
 * The gateway as a user runs it (`node --import tsx src/main.ts`), pointed at the bench's emulator
 * through SSO_OIDC_ENDPOINT and signing with the emulator's credentials. LOG_LEVEL stays at the
 * default (info: one line per request), written to a file as a log shipper would read it.
 */

export interface GatewayOptions {
  name: string;
  emulatorUrl: string;
  env?: Record<string, string | undefined>;
  /** Extra Node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

export function startBenchGateway(options: GatewayOptions): Promise<BenchProcess> {
  return spawnBenchProcess({
    name: options.name,
    args: tsxArgs("src/main.ts", options.nodeFlags),
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      SSO_OIDC_ENDPOINT: options.emulatorUrl,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      ...options.env,
    },
    // pino writes `msg` last: {"level":30,…,"url":"http://…/graphql",…,"msg":"gateway ready"}
    ready: /"url":"([^"]+)"[^\n]*"msg":"gateway ready"/,
  });
}

/** The naive reference gateway (bench/naive-gateway.ts): Apollo + one SDK call per request. */
export function startNaiveGateway(emulatorUrl: string): Promise<BenchProcess> {
  return spawnBenchProcess({
    name: "naive-gateway",
    args: tsxArgs("bench/naive-gateway.ts"),
    env: {
      PORT: "0",
      SSO_OIDC_ENDPOINT: emulatorUrl,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    },
    ready: /naive gateway ready at (http:\/\/[^\s]+)/,
  });
}

/**
 * The SSO OIDC emulator as a library: `startEmulator()` for tests and the gateway's embedded mode.
 * The emulator is an independent peer of the gateway and imports nothing from it.
 */
import type { AddressInfo } from "node:net";
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_APPLICATION_ARN,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_REGION,
  DEFAULT_SECRET_ACCESS_KEY,
  resolveEmulatorConfig,
  type EmulatorConfig,
  type EmulatorConfigInput,
} from "./emulator-config.js";
import type { EmulatorContext } from "./emulator-context.js";
import { DeviceStore } from "./device/device-store.js";
import { FaultInjector } from "./devapi/faults.js";
import { CallStats } from "./devapi/stats.js";
import { RateLimiter } from "./grants/rate-limiter.js";
import { createEmulatorServer } from "./http/server.js";
import { SigV4Verifier } from "./http/sigv4-verifier.js";
import { StsSessionStore } from "./sts/sts-sessions.js";
import { generateEmulatorKeys } from "./tokens/signing-keys.js";
import { TokenStore } from "./tokens/token-store.js";
import { TrustedIssuers } from "./tokens/trusted-issuers.js";

export {
  BUILT_IN_AUDIENCE,
  BUILT_IN_ISSUER,
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_APPLICATION_ARN,
  DEFAULT_HOST,
  DEFAULT_IAM_USER_ARN,
  DEFAULT_PORT,
  DEFAULT_REGION,
  DEFAULT_ROLE_ARN,
  DEFAULT_SECRET_ACCESS_KEY,
  EmulatorConfigError,
  resolveEmulatorConfig,
} from "./emulator-config.js";
export type { ApplicationConfig, EmulatorConfig, EmulatorConfigInput, RoleConfig, TrustedIssuerConfig } from "./emulator-config.js";

export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StartEmulatorOptions {
  /** Default 4001; 0 picks a free port. */
  port?: number;
  host?: string;
  region?: string;
  credentials?: EmulatorCredentials;
  /** The `EMULATOR_CONFIG` JSON (validated), or an already resolved config. */
  config?: EmulatorConfigInput;
}

export interface RunningEmulator {
  /** `http://host:port`, ready to be the SDK's `endpoint`. */
  url: string;
  port: number;
  region: string;
  credentials: EmulatorCredentials;
  defaultClientId: string;
  /** The resolved configuration it runs with. */
  config: EmulatorConfig;
  /** Closes the server and every socket; resolves when closed. Safe to call twice. */
  stop(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 60_000;
/** Expired entries stay this long so late callers get "expired" rather than "unknown". */
const EXPIRED_GRACE_MS = 10 * 60_000;

function urlFor(host: string, port: number): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const config = resolveEmulatorConfig(options.config ?? {});
  const region = options.region ?? DEFAULT_REGION;
  const credentials = options.credentials ?? { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY };
  const host = options.host ?? DEFAULT_HOST;
  const keys = await generateEmulatorKeys();
  const sts = new StsSessionStore();
  const verifierOf = (service: string) =>
    new SigV4Verifier({
      region,
      service,
      ...credentials,
      maxClockSkewSeconds: config.maxClockSkewSeconds,
      temporaryCredentials: (accessKeyId) => sts.get(accessKeyId),
    });
  const ctx: EmulatorContext = {
    config,
    region,
    baseUrl: "",
    applications: new Map(config.applications.map((app) => [app.clientId, app])),
    keys,
    issuers: new TrustedIssuers(keys.issuer, config.trustedIssuers),
    tokens: new TokenStore(),
    devices: new DeviceStore(),
    stats: new CallStats(),
    faults: new FaultInjector(),
    rateLimiter: new RateLimiter(),
    sigv4: verifierOf("sso-oauth"),
    stsSigv4: verifierOf("sts"),
    sts,
    now: Date.now,
  };
  const { server, close } = createEmulatorServer(ctx);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const sweeper = setInterval(() => {
    const now = ctx.now() - EXPIRED_GRACE_MS;
    ctx.tokens.sweep(now);
    ctx.sts.sweep(now);
    ctx.devices.sweep(ctx.now(), EXPIRED_GRACE_MS);
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  const port = (server.address() as AddressInfo).port;
  ctx.baseUrl = urlFor(host, port);
  let stopped: Promise<void> | undefined;
  return {
    url: ctx.baseUrl,
    port,
    region,
    credentials: { ...credentials },
    defaultClientId: config.applications[0]?.clientId ?? DEFAULT_APPLICATION_ARN,
    config,
    stop: () => {
      clearInterval(sweeper);
      stopped ??= close();
      return stopped;
    },
  };
}

/**
 * Everything a request handler may read or change, gathered in one object per running emulator
 * (no module-level state: two emulators in one process never share tokens or stats).
 */
import type { ApplicationConfig, EmulatorConfig } from "./emulator-config.js";
import type { DeviceStore } from "./device/device-store.js";
import type { FaultInjector } from "./devapi/faults.js";
import type { CallStats } from "./devapi/stats.js";
import type { RateLimiter } from "./grants/rate-limiter.js";
import type { SigV4Verifier } from "./http/sigv4-verifier.js";
import type { StsSessionStore } from "./sts/sts-sessions.js";
import type { EmulatorKeys } from "./tokens/signing-keys.js";
import type { TokenStore } from "./tokens/token-store.js";
import type { TrustedIssuers } from "./tokens/trusted-issuers.js";

export interface EmulatorContext {
  config: EmulatorConfig;
  region: string;
  /**
   * `http://host:port` the emulator listens on, known once it listens: the emulator's own
   * pages (`/authorize`, `/device`) are announced under it.
   */
  baseUrl: string;
  applications: Map<string, ApplicationConfig>;
  keys: EmulatorKeys;
  issuers: TrustedIssuers;
  tokens: TokenStore;
  devices: DeviceStore;
  stats: CallStats;
  faults: FaultInjector;
  rateLimiter: RateLimiter;
  /** SSO OIDC's verifier (signing name `sso-oauth`). */
  sigv4: SigV4Verifier;
  /** STS's verifier (signing name `sts`); both accept the base credentials and live role sessions. */
  stsSigv4: SigV4Verifier;
  sts: StsSessionStore;
  /** Injectable clock (epoch ms) so unit tests can move time. */
  now: () => number;
}

import { vi } from "vitest";
import { DEFAULT_APPLICATION_ARN, startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { EmulatorDevApi } from "../../support/emulator-dev-api.js";

export const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
/** A role whose trust policy does not allow sts:SetContext: STS answers AccessDenied. */
export const NO_CONTEXT_ROLE = "arn:aws:iam::123456789012:role/NoSetContext";
/** An application whose tokens (and so identity contexts) last a minute. */
export const SHORT_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-555555555555";

export interface CredentialsFixture {
  emulator: RunningEmulator;
  gateway: GatewayProcess;
  api: EmulatorApi;
  dev: EmulatorDevApi;
  /** Moves the emulator's clock (identity contexts expire); the gateway keeps real time, within SigV4's five-minute skew. */
  setClockOffset(ms: number): void;
  assumeRoleCalls(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The emulator in this process, on a clock the tests can move, with ROLE, NO_CONTEXT_ROLE and
 * SHORT_APP, and a real gateway process in front of it (DEFAULT_ROLE_ARN=ROLE, 1 s per STS
 * attempt, 2.5 s per call); `env` adds to or overrides the gateway's variables.
 */
export async function startCredentialsFixture(env: Record<string, string>): Promise<CredentialsFixture> {
  let clockOffsetMs = 0;
  const realNow = Date.now.bind(Date);
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + clockOffsetMs);
  const emulator = await startEmulator({
    port: 0,
    config: {
      applications: [{ clientId: DEFAULT_APPLICATION_ARN }, { clientId: SHORT_APP, accessTokenLifetimeSeconds: 60 }],
      roles: [{ arn: ROLE }, { arn: NO_CONTEXT_ROLE, allowSetContext: false }],
    },
  });
  const dev = new EmulatorDevApi(emulator.url);
  const gateway = await startGateway({
    env: {
      SSO_OIDC_ENDPOINT: emulator.url,
      AWS_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
      ALLOWED_CLIENT_IDS: SHORT_APP,
      DEFAULT_ROLE_ARN: ROLE,
      ALLOWED_ROLE_ARNS: NO_CONTEXT_ROLE,
      UPSTREAM_TIMEOUT_MS: "1000",
      UPSTREAM_DEADLINE_MS: "2500",
      ...env,
    },
  }).catch(async (error: unknown) => {
    await emulator.stop();
    throw error;
  });
  return {
    emulator, gateway, dev, api: emulatorApi(emulator.url),
    setClockOffset: (ms) => void (clockOffsetMs = ms),
    assumeRoleCalls: async () => (await dev.stats()).calls.AssumeRole,
    async stop() {
      await gateway.stop();
      await emulator.stop();
      vi.restoreAllMocks();
    },
  };
}

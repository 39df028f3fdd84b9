/**
 * Test harness for the SSO OIDC emulator: starts one on an ephemeral port, builds unmodified
 * `SSOOIDCClient`s pointed at it, and stops everything it started.
 *
 * ```ts
 * const h = await startTestEmulator();              // or startTestEmulator({ config: {...} })
 * afterAll(() => h.stop());
 * const out = await h.client().send(new CreateTokenWithIAMCommand({...}));
 * const { assertion } = await h.dev.assertion({ sub: "alice" });
 * ```
 *
 * Clients are built with `maxAttempts: 1` unless told otherwise, so one SDK call is exactly one
 * HTTP request (the emulator's stats can then be asserted exactly, and a 500 is not retried).
 */
import { CreateTokenWithIAMCommand, SSOOIDCClient, type SSOOIDCClientConfig } from "@aws-sdk/client-sso-oidc";
import type { CreateTokenWithIAMCommandInput, CreateTokenWithIAMCommandOutput } from "@aws-sdk/client-sso-oidc";
import { startEmulator, type StartEmulatorOptions } from "../../src/emulator/index.js";
import { EmulatorDevApi } from "./emulator-dev-api.js";

export type RunningEmulator = Awaited<ReturnType<typeof startEmulator>>;

export interface TestEmulator {
  emulator: RunningEmulator;
  /** `http://127.0.0.1:PORT` */
  url: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  defaultClientId: string;
  dev: EmulatorDevApi;
  /** A new SSOOIDCClient for this emulator; destroyed by `stop()`. */
  client(overrides?: Partial<SSOOIDCClientConfig>): SSOOIDCClient;
  /** CreateTokenWithIAM through a shared default client; `clientId` defaults to the default application. */
  createTokenWithIAM(input: Omit<CreateTokenWithIAMCommandInput, "clientId"> & { clientId?: string }): Promise<CreateTokenWithIAMCommandOutput>;
  /** Destroys the clients and stops the emulator (idempotent). */
  stop(): Promise<void>;
}

export async function startTestEmulator(options: StartEmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, ...options });
  const clients: SSOOIDCClient[] = [];
  let stopped = false;

  const client = (overrides: Partial<SSOOIDCClientConfig> = {}): SSOOIDCClient => {
    const created = new SSOOIDCClient({
      endpoint: emulator.url,
      region: emulator.region,
      credentials: { ...emulator.credentials },
      maxAttempts: 1,
      ...overrides,
    });
    clients.push(created);
    return created;
  };
  const shared = client();

  return {
    emulator,
    url: emulator.url,
    region: emulator.region,
    credentials: emulator.credentials,
    defaultClientId: emulator.defaultClientId,
    dev: new EmulatorDevApi(emulator.url),
    client,
    createTokenWithIAM: (input) =>
      shared.send(new CreateTokenWithIAMCommand({ clientId: emulator.defaultClientId, ...input } as CreateTokenWithIAMCommandInput)),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of clients) c.destroy();
      await emulator.stop();
    },
  };
}

/**
 * Runs `action`, expects it to reject, and returns the rejection for further assertions.
 * Fails the test (with the value) when the action succeeds.
 */
export async function rejectionOf(action: Promise<unknown> | (() => Promise<unknown>)): Promise<any> {
  try {
    const value = await (typeof action === "function" ? action() : action);
    throw new ExpectedRejection(value);
  } catch (error) {
    if (error instanceof ExpectedRejection) throw error;
    return error;
  }
}

class ExpectedRejection extends Error {
  constructor(value: unknown) {
    super(`expected a rejection, got a result: ${JSON.stringify(value)?.slice(0, 500)}`);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * STS against a test emulator with the unmodified `@aws-sdk/client-sts`: clients signed with the
 * emulator's IAM credentials or with credentials AssumeRole returned, and an identity context from
 * a real CreateTokenWithIAM.
 *
 * ```ts
 * const sts = stsFor(h);                                   // destroyed by sts.destroy()
 * const context = await identityContextFor(h, "alice");
 * const out = await sts.base.send(new AssumeRoleCommand({ ..., ProvidedContexts: providedContext(context) }));
 * await sts.signedWith(out.Credentials!).send(new GetCallerIdentityCommand({}));
 * ```
 */
import { vi } from "vitest";
import { STSClient, type Credentials, type ProvidedContext } from "@aws-sdk/client-sts";
import type { StartEmulatorOptions } from "../../src/emulator/index.js";
import { startTestEmulator, type TestEmulator } from "./emulator-harness.js";
import { viaJwtBearer } from "./emulator-flows.js";

export const IDENTITY_CENTER_PROVIDER_ARN = "arn:aws:iam::aws:contextProvider/IdentityCenter";

export interface StsClients {
  /** Signed with the emulator's base IAM credentials. */
  base: STSClient;
  /** A client signed with temporary credentials (AssumeRole's `Credentials`). */
  signedWith(credentials: Credentials): STSClient;
  destroy(): void;
}

export function stsFor(h: TestEmulator): StsClients {
  const clients: STSClient[] = [];
  const make = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
    const client = new STSClient({ endpoint: h.url, region: h.region, credentials, maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  return {
    base: make({ ...h.credentials }),
    signedWith: (credentials) =>
      make({ accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken! }),
    destroy: () => {
      for (const client of clients) client.destroy();
    },
  };
}

/** The `awsAdditionalDetails.identityContext` of a real CreateTokenWithIAM (JWT bearer) for `sub`. */
export async function identityContextFor(h: TestEmulator, sub: string, clientId?: string): Promise<string> {
  const tokens = await viaJwtBearer(h, { sub, ...(clientId ? { clientId } : {}) });
  return tokens.awsAdditionalDetails!.identityContext!;
}

export function providedContext(contextAssertion: string): ProvidedContext[] {
  return [{ ProviderArn: IDENTITY_CENTER_PROVIDER_ARN, ContextAssertion: contextAssertion }];
}

export interface StsTestEmulator {
  h: TestEmulator;
  sts: StsClients;
  stop(): Promise<void>;
}

/** A test emulator with STS clients for it; `stop()` ends both. */
export async function startStsEmulator(options: StartEmulatorOptions = {}): Promise<StsTestEmulator> {
  const h = await startTestEmulator(options);
  const sts = stsFor(h);
  return {
    h,
    sts,
    stop: async () => {
      sts.destroy();
      await h.stop();
    },
  };
}

/**
 * Runs `body` against a dedicated emulator whose clock the test moves with `advance`. Date.now is
 * wrapped before the emulator starts (so it reads the moved clock) and the SDK signs with it too.
 */
export async function withMovableClock(body: (running: StsTestEmulator, advance: (ms: number) => void) => Promise<void>): Promise<void> {
  const realNow = Date.now.bind(Date);
  let offsetMs = 0;
  const nowSpy = vi.spyOn(Date, "now").mockImplementation(() => realNow() + offsetMs);
  const running = await startStsEmulator();
  try {
    await body(running, (ms) => {
      offsetMs += ms;
    });
  } finally {
    await running.stop();
    nowSpy.mockRestore();
  }
}

import { programs } from "./build.js";
import { writeWorkFile, spawnBenchProcess, type BenchProcess } from "./processes.js";

/**
 * The emulator runs in its own process (`src/emulator/main.ts`, compiled), so its CPU is never charged to the
 * gateway or to the load generator; the bench talks to its developer API over HTTP.
 */

export interface EmulatorOptions {
  /** CreateTokenWithIAM calls per second per application before SlowDownException (AWS-like throttling). */
  rateLimitPerSecond?: number;
}

export interface BenchEmulator {
  process: BenchProcess;
  url: string;
  /** CreateTokenWithIAM calls counted so far (every routed call, whatever its outcome). */
  createTokenWithIamCalls(): Promise<number>;
  /** STS AssumeRole calls the emulator has answered (identity-enhanced credentials). */
  assumeRoleCalls(): Promise<number>;
  mintAssertions(count: number, prefix: string): Promise<string[]>;
  addLatencyFault(latencyMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchEmulator(name: string, options: EmulatorOptions = {}): Promise<BenchEmulator> {
  const env: Record<string, string> = { EMULATOR_PORT: "0", EMULATOR_HOST: "127.0.0.1" };
  if (options.rateLimitPerSecond !== undefined) {
    const config = {
      applications: [{ clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222", rateLimitPerSecond: options.rateLimitPerSecond }],
    };
    env.EMULATOR_CONFIG = writeWorkFile(`${name}-config.json`, JSON.stringify(config));
  }
  const process = await spawnBenchProcess({
    name,
    args: programs().emulator(),
    env,
    ready: /listening on (http:\/\/[^\s]+)/,
  });
  const url = process.url;

  const post = async (path: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`emulator ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  };

  return {
    process,
    url,
    async createTokenWithIamCalls() {
      const response = await fetch(`${url}/_emulator/stats`);
      const stats = (await response.json()) as { calls: { CreateTokenWithIAM: number } };
      return stats.calls.CreateTokenWithIAM;
    },
    async assumeRoleCalls() {
      const response = await fetch(`${url}/_emulator/stats`);
      const stats = (await response.json()) as { calls: { AssumeRole: number } };
      return stats.calls.AssumeRole;
    },
    async mintAssertions(count, prefix) {
      // A few requests in flight keep the emulator busy without queueing thousands of sockets.
      const assertions = new Array<string>(count);
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const index = next++;
          const minted = (await post("/_emulator/assertions", { sub: `${prefix}-${index}`, expiresInSeconds: 3600 })) as { assertion: string };
          assertions[index] = minted.assertion;
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      return assertions;
    },
    async addLatencyFault(latencyMs) {
      await post("/_emulator/faults", { operation: "CreateTokenWithIAM", latencyMs });
    },
    stop: () => process.stop(),
  };
}

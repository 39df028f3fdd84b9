import { programs } from "../support/build.js";
import { EMULATOR_CREDENTIALS, spawnBenchProcess, writeWorkFile } from "../support/processes.js";
import { loadFields } from "../support/measure.js";
import type { BenchRow } from "../support/types.js";
import { JIT_WARM_UP } from "../support/warm-up.js";

/**
 * Baseline: the SDK calling the emulator directly (bench/direct-sdk-worker.ts in its own process):
 * the limit for an uncached exchange on this machine. The worker is a fresh process each time: it first
 * makes `warmupCalls` calls on JIT_WARM_UP.connections loops (support/warm-up.ts), then measures at `concurrency`.
 */
export async function measureDirectSdk(options: {
  id: string;
  scenario: string;
  emulatorUrl: string;
  assertions: string[];
  concurrency: number;
  durationSeconds: number;
  warmupCalls?: number;
}): Promise<BenchRow> {
  const file = writeWorkFile(`${options.id}-assertions.json`, JSON.stringify(options.assertions));
  const worker = await spawnBenchProcess({
    name: options.id,
    args: [...programs().directSdkWorker(), options.emulatorUrl, file, String(options.concurrency), String(options.warmupCalls ?? JIT_WARM_UP.directSdkCalls), String(JIT_WARM_UP.connections), String(options.durationSeconds)],
    env: { AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey },
    ready: /direct-sdk result (\{.*\})/,
  });
  await worker.stop();
  const result = JSON.parse(worker.url) as { requestsPerSecond: number; successesPerSecond: number; p50Ms: number; p99Ms: number; requests: number; failures: number; cpuUsPerRequest: number | null };
  return {
    id: options.id,
    scenario: options.scenario,
    system: "direct-sdk",
    connections: options.concurrency,
    ...loadFields(result),
    upstreamCalls: result.requests,
    cpuUsPerRequest: result.cpuUsPerRequest,
    peakRssMb: null,
  };
}

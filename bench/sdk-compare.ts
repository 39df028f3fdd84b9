/**
 * `npx tsx bench/sdk-compare.ts`: the gateway's upstream (createUpstream: cached middleware stack,
 * timeouts, retry guard, circuit breaker) against a plain SSOOIDCClient, same process, one call at a
 * time against the bench emulator: p50 latency and CPU per call, three rounds each (JIT warm-up).
 * Needs a built dist/ (npm run build) for the emulator.
 */
import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { createUpstream } from "../src/upstream/create-upstream.js";
import { createLogger } from "../src/logging/logger.js";
import { startBenchEmulator } from "./support/emulator.js";
import { usePrograms } from "./support/build.js";
import { runBenchScript } from "./support/processes.js";
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const creds = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
async function main() {
  usePrograms("dist", { build: false });
  const emulator = await startBenchEmulator("emulator");
  const pool = await emulator.mintAssertions(8000, `cmp-${Date.now()}`);
  let next = 0;
  const plain = new SSOOIDCClient({ region: "us-east-1", endpoint: emulator.url, credentials: creds });
  const upstream = createUpstream({ region: "us-east-1", endpoint: emulator.url, credentials: creds, timeoutMs: 10000, connectTimeoutMs: 3000, maxAttempts: 3, logger: createLogger({ level: "info" }) });
  const variants: Record<string, (a: string) => Promise<unknown>> = {
    plain: (assertion) => plain.send(new CreateTokenWithIAMCommand({ clientId: CLIENT_ID, grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion })),
    gateway: (assertion) => upstream.createTokenWithIAM({ clientId: CLIENT_ID, grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }),
  };
  for (const round of [1, 2, 3]) {
    for (const [name, call] of Object.entries(variants)) {
      const times: number[] = [];
      const cpuAtStart = process.cpuUsage();
      for (let i = 0; i < 1000; i++) {
        const startedAt = process.hrtime.bigint();
        await call(pool[next++]!);
        times.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
      }
      const cpu = process.cpuUsage(cpuAtStart);
      times.sort((a, b) => a - b);
      process.stdout.write(`round ${round} ${name.padEnd(8)} p50 ${times[500]!.toFixed(3)} ms  cpu/call ${Math.round((cpu.user + cpu.system) / 1000)} µs\n`);
    }
  }
  upstream.destroy(); plain.destroy();
}
runBenchScript("sdk-compare", main);

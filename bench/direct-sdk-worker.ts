/**
 * Baseline: the AWS SDK calling the emulator directly, no gateway. Runs in its own process (as
 * the gateway does) so it gets the same share of the 2 cores; `concurrency` loops each send
 * CreateTokenWithIAM back to back for `warmup + duration` seconds, with a distinct assertion per
 * call, and latencies are timed with hrtime around `client.send`.
 * argv: <endpoint> <assertions.json> <concurrency> <warmupSeconds> <durationSeconds>
 * Prints one line: `direct-sdk result {json}`.
 */
import { readFileSync } from "node:fs";
import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { percentiles, round } from "./support/load.js";

const [endpoint, assertionsFile, concurrencyArg, warmupArg, durationArg] = process.argv.slice(2);
const assertions = JSON.parse(readFileSync(assertionsFile!, "utf8")) as string[];
const concurrency = Number(concurrencyArg);
const warmupMs = Number(warmupArg) * 1000;
const durationMs = Number(durationArg) * 1000;
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

const client = new SSOOIDCClient({ region: process.env.AWS_REGION ?? "us-east-1", endpoint });

let next = 0;
let measuring = false;
let stopping = false;
const latencies: number[] = [];
let successes = 0;
let failures = 0;
let wrapped = false;

async function loop(): Promise<void> {
  while (!stopping) {
    if (next >= assertions.length) wrapped = true;
    const assertion = assertions[next++ % assertions.length]!;
    const startedAt = process.hrtime.bigint();
    let ok = true;
    try {
      await client.send(new CreateTokenWithIAMCommand({ clientId: CLIENT_ID, grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }));
    } catch {
      ok = false;
    }
    if (!measuring || stopping) continue;
    latencies.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
    if (ok) successes++;
    else failures++;
  }
}

const loops = Array.from({ length: concurrency }, loop);
await new Promise((resolve) => setTimeout(resolve, warmupMs));
measuring = true;
const cpuAtStart = process.cpuUsage();
const startedAt = performance.now();
await new Promise((resolve) => setTimeout(resolve, durationMs));
stopping = true;
const seconds = (performance.now() - startedAt) / 1000;
await Promise.all(loops);
client.destroy();
const cpu = process.cpuUsage(cpuAtStart);
const result = {
  cpuUsPerRequest: latencies.length === 0 ? null : Math.round((cpu.user + cpu.system) / latencies.length),
  requestsPerSecond: round(latencies.length / seconds),
  successesPerSecond: round(successes / seconds),
  ...percentiles(latencies),
  requests: latencies.length,
  successes,
  failures,
  durationSeconds: round(seconds, 2),
  wrapped,
};
process.stdout.write(`direct-sdk result ${JSON.stringify(result)}\n`);

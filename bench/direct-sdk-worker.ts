/**
 * Baseline: the AWS SDK calling the emulator directly, no gateway. Runs in its own process (as
 * the gateway does) so it gets the same share of the 2 cores. A warm-up first: `warmupLoops` loops
 * make `warmupCalls` calls (a fresh process runs its code unoptimized until V8 has seen it run:
 * support/warm-up.ts); then `concurrency` loops each send CreateTokenWithIAM back to back for
 * `duration` seconds, with a distinct assertion per call, and latencies are timed with hrtime
 * around `client.send`.
 * argv: <endpoint> <assertions.json> <concurrency> <warmupCalls> <warmupLoops> <durationSeconds>
 * Prints one line: `direct-sdk result {json}`.
 */
import { readFileSync } from "node:fs";
import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { percentiles, round } from "./support/load.js";

const [endpoint, assertionsFile, concurrencyArg, warmupCallsArg, warmupLoopsArg, durationArg] = process.argv.slice(2);
const assertions = JSON.parse(readFileSync(assertionsFile!, "utf8")) as string[];
const concurrency = Number(concurrencyArg);
const warmupCalls = Number(warmupCallsArg);
const warmupLoops = Number(warmupLoopsArg);
const durationMs = Number(durationArg) * 1000;
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

const client = new SSOOIDCClient({ region: process.env.AWS_REGION ?? "us-east-1", endpoint });

let next = 0;
let warmupLeft = warmupCalls;
let stopping = false;
const latencies: number[] = [];
let successes = 0;
let failures = 0;
let wrapped = false;

/** Sends one call with the next assertion (distinct until the pool wraps); whether it succeeded. */
async function call(): Promise<boolean> {
  if (next >= assertions.length) wrapped = true;
  const assertion = assertions[next++ % assertions.length]!;
  try {
    await client.send(new CreateTokenWithIAMCommand({ clientId: CLIENT_ID, grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }));
    return true;
  } catch {
    return false;
  }
}

async function warmUp(): Promise<void> {
  while (warmupLeft-- > 0) await call();
}

async function loop(): Promise<void> {
  while (!stopping) {
    const startedAt = process.hrtime.bigint();
    const ok = await call();
    if (stopping) continue;
    latencies.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
    if (ok) successes++;
    else failures++;
  }
}

await Promise.all(Array.from({ length: warmupLoops }, warmUp));
// The pool's distinct assertions are counted from the measured calls on: the warm-up may reuse them.
next = 0;
wrapped = false;
const loops = Array.from({ length: concurrency }, loop);
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

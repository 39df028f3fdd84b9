import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createStsUpstream } from "../../../src/upstream/create-sts-upstream.js";
import type { CreateUpstreamOptions, StsUpstream, UpstreamAssumeRoleRequest } from "../../../src/upstream/index.js";
import { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { gatewayRejection as rejection, liveIdentityContext } from "../../support/upstream-test-kit.js";

/**
 * The gateway's STS client (createStsUpstream) against the emulator's STS over real HTTP: what it
 * sends (AssumeRole with the Identity Center context), what it returns, and how it is bounded.
 */
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
let emulator: RunningEmulator;
let dev: EmulatorDevApi;
const clients: Array<StsUpstream | STSClient> = [];
const logLines: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, config: { roles: [{ arn: ROLE }] } });
  dev = new EmulatorDevApi(emulator.url);
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  logLines.length = 0;
  await dev.clearFaults();
});
afterAll(() => emulator.stop());

function stsFor(overrides: Partial<CreateUpstreamOptions> = {}): StsUpstream {
  const sts = createStsUpstream({
    region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials,
    timeoutMs: 1000, connectTimeoutMs: 500, maxAttempts: 3, deadlineMs: 3000,
    logger: createLogger({ level: "debug", destination: { write: (line: string) => void logLines.push(line) } }),
    ...overrides,
  });
  clients.push(sts);
  return sts;
}

const identityContext = (sub: string) => liveIdentityContext(emulator, dev, sub);

const request = (context: string, overrides: Partial<UpstreamAssumeRoleRequest> = {}): UpstreamAssumeRoleRequest => ({
  roleArn: ROLE, roleSessionName: "idc-token-gateway", durationSeconds: 900, identityContext: context, ...overrides,
});

describe("createStsUpstream against the emulator's STS", () => {
  it("assumes the role with the Identity Center context and returns credentials that sign as the user's role session", async () => {
    const context = await identityContext("alice");
    const before = Date.now();
    const credentials = await stsFor().assumeRoleWithIdentityContext(request(context));
    expect(credentials).toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIA/), secretAccessKey: expect.any(String), sessionToken: expect.any(String),
      assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/IdentityCenterUser/idc-token-gateway", requestId: expect.any(String),
    });
    // Whole seconds, as STS sends them: within a second of 900 s from now.
    expect(credentials.expiration).toBeGreaterThan(before + 898_000);
    expect(credentials.expiration).toBeLessThanOrEqual(Date.now() + 900_000);
    const session = await dev.stsSession(credentials.accessKeyId);
    expect(session).toMatchObject({ roleArn: ROLE, roleSessionName: "idc-token-gateway", identityCenter: { sub: "alice" } });
    const client = new STSClient({ endpoint: emulator.url, region: emulator.region, maxAttempts: 1, credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken } });
    clients.push(client);
    expect((await client.send(new GetCallerIdentityCommand({}))).Arn).toBe(credentials.assumedRoleArn);
    expect(logLines.some((line) => line.includes("AssumeRole succeeded"))).toBe(true);
    expect(logLines.join("\n")).not.toContain(context);
    expect(logLines.join("\n")).not.toContain(credentials.secretAccessKey);
  });

  it("maps STS's refusal of a longer session than the role allows to INVALID_REQUEST, without retrying it", async () => {
    const context = await identityContext("bob");
    const before = (await dev.stats()).calls.AssumeRole;
    const error = await rejection(stsFor().assumeRoleWithIdentityContext(request(context, { durationSeconds: 3700 })));
    expect({ code: error.code, awsException: error.details.awsException }).toEqual({ code: "INVALID_REQUEST", awsException: "ValidationError" });
    expect((await dev.stats()).calls.AssumeRole).toBe(before + 1);
  });

  it("answers throttling with SLOW_DOWN after one call (no retry into the account's STS quota), retries internal failures, and stops at maxAttempts", async () => {
    const context = await identityContext("carol");
    await dev.addFault({ operation: "AssumeRole", exception: "Throttling", count: 1 });
    const before = (await dev.stats()).calls.AssumeRole;
    expect(await rejection(stsFor().assumeRoleWithIdentityContext(request(context)))).toMatchObject({ code: "SLOW_DOWN", details: { awsException: "Throttling" } });
    expect((await dev.stats()).calls.AssumeRole).toBe(before + 1);
    await expect(stsFor().assumeRoleWithIdentityContext(request(context))).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
    expect((await dev.stats()).calls.AssumeRole).toBe(before + 2);

    await dev.addFault({ operation: "AssumeRole", exception: "InternalFailure", count: 5 });
    const error = await rejection(stsFor({ maxAttempts: 2 }).assumeRoleWithIdentityContext(request(context)));
    expect(error.code).toBe("UPSTREAM_SERVER_ERROR");
    expect((await dev.stats()).calls.AssumeRole).toBe(before + 4);
  });

  it("ends a slow call at deadlineMs with UPSTREAM_UNAVAILABLE naming STS", async () => {
    const context = await identityContext("dave");
    await dev.addFault({ operation: "AssumeRole", latencyMs: 4000, count: 5 });
    // Each attempt may wait 5 s, longer than the 4 s STS takes: only the deadline can end this call early.
    const error = await rejection(stsFor({ timeoutMs: 5000, deadlineMs: 300 }).assumeRoleWithIdentityContext(request(context)));
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(error.message).toBe("STS did not answer within the gateway's deadline (300 ms, retries included). Retry later.");
  });

  it("opens its own circuit after consecutive availability faults, then fails fast naming STS without calling it", async () => {
    const context = await identityContext("erin");
    await dev.addFault({ operation: "AssumeRole", exception: "ServiceUnavailable", count: 10 });
    const sts = stsFor({ maxAttempts: 1, circuitBreaker: { threshold: 2, cooldownMs: 60_000 } });
    for (let i = 0; i < 2; i++) expect((await rejection(sts.assumeRoleWithIdentityContext(request(context)))).code).toBe("UPSTREAM_UNAVAILABLE");
    expect(sts.health()).toMatchObject({ ok: false, circuit: "open" });
    const before = (await dev.stats()).calls.AssumeRole;
    const fast = await rejection(sts.assumeRoleWithIdentityContext(request(context)));
    expect(fast.message).toBe("STS is failing; the gateway is not calling it until the cool-down ends. Retry later.");
    expect((await dev.stats()).calls.AssumeRole).toBe(before);
    expect(logLines.some((line) => line.includes('"service":"STS"') && line.includes("upstream circuit opened"))).toBe(true);
  });

  it("answers GATEWAY_CREDENTIALS_INVALID when STS does not know the gateway's access key", async () => {
    const context = await identityContext("frank");
    const error = await rejection(stsFor({ credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "wrong" } }).assumeRoleWithIdentityContext(request(context)));
    expect(error.code).toBe("GATEWAY_CREDENTIALS_INVALID");
  });
});

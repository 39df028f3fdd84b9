import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { createStsUpstream } from "../../../src/upstream/create-sts-upstream.js";
import type { CreateUpstreamOptions, StsUpstream, UpstreamAssumeRoleRequest } from "../../../src/upstream/index.js";
import { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { startEmulatorProxy, withoutXmlElements, type AnswerRewrite, type EmulatorProxy } from "../../support/emulator-proxy.js";
import { fieldsOf, gatewayRejection as rejection, liveIdentityContext, loggerInto, type LogLine } from "../../support/upstream-test-kit.js";

/**
 * What the gateway's STS client tells an operator (the level, message and fields of each log line) and
 * how it treats answers STS should never send, in this process: the same lines the credentials review
 * test reads from a gateway process, where a mutation test cannot see them. The client talks real
 * HTTP to the emulator's STS, directly or through an in-process proxy that drops members of its answer.
 */
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
/** A role the emulator does not know: STS answers AccessDenied before it reads the context. */
const unknownRole = (n: number) => `arn:aws:iam::123456789012:role/NotConfigured${n}`;
const DEBUG = 20;
const WARN = 40;

let emulator: RunningEmulator;
let dev: EmulatorDevApi;
const started: Array<StsUpstream | EmulatorProxy> = [];
let lines: LogLine[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, config: { roles: [{ arn: ROLE }] } });
  dev = new EmulatorDevApi(emulator.url);
});
afterEach(async () => {
  for (const part of started.splice(0)) await ("destroy" in part ? part.destroy() : part.stop());
  lines = [];
  await dev.clearFaults();
});
afterAll(() => emulator.stop());

function stsFor(overrides: Partial<CreateUpstreamOptions> = {}): StsUpstream {
  const sts = createStsUpstream({
    region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials,
    timeoutMs: 2000, connectTimeoutMs: 1000, maxAttempts: 1, deadlineMs: 5000, logger: loggerInto(lines),
    ...overrides,
  });
  started.push(sts);
  return sts;
}

async function proxied(rewrite?: AnswerRewrite): Promise<StsUpstream> {
  const proxy = await startEmulatorProxy(emulator.url, rewrite);
  started.push(proxy);
  return stsFor({ endpoint: proxy.url });
}

const identityContext = () => liveIdentityContext(emulator, dev);

const request = (overrides: Partial<UpstreamAssumeRoleRequest> = {}): UpstreamAssumeRoleRequest => ({
  roleArn: ROLE, roleSessionName: "idc-token-gateway", durationSeconds: 900, identityContext: "not-read-before-the-refusal", ...overrides,
});

/** The STS client's own lines (the circuit breaker's are left out), as level, message and fields. */
const stsLines = () => lines.filter((line) => line.msg.startsWith("AssumeRole")).map(fieldsOf);

describe("createStsUpstream's log lines", () => {
  it("logs a success at debug with the role, AWS's request id and the attempts", async () => {
    const credentials = await stsFor().assumeRoleWithIdentityContext(request({ identityContext: await identityContext() }));
    expect(stsLines()).toEqual([{ level: DEBUG, msg: "AssumeRole succeeded", roleArn: ROLE, awsRequestId: credentials.requestId, attempts: 1 }]);
  });

  it("warns once per role and cause when STS refuses a configured role, then logs the repeats at debug", async () => {
    const sts = stsFor();
    const denied = (n: number) => rejection(sts.assumeRoleWithIdentityContext(request({ roleArn: unknownRole(n) })));
    const first = await denied(1);
    expect(first.code).toBe("ACCESS_DENIED");
    await denied(1);
    await denied(2);
    // The same role refused for another cause (STS not activated in the region) is a problem of its own.
    await dev.addFault({ operation: "AssumeRole", exception: "RegionDisabledException", count: 1 });
    expect((await denied(1)).code).toBe("INVALID_REQUEST_REGION");
    const fields = (n: number, code: string, awsException: string) => ({ code, roleArn: unknownRole(n), awsException, awsRequestId: expect.any(String) });
    const once = "AssumeRole refused for a configured role: its trust policy must allow the gateway sts:AssumeRole and sts:SetContext, and the gateway's IAM policy sts:AssumeRole on it (logged once per role and cause)";
    expect(stsLines()).toEqual([
      { level: WARN, msg: once, ...fields(1, "ACCESS_DENIED", "AccessDenied") },
      { level: DEBUG, msg: "AssumeRole refused for a configured role", ...fields(1, "ACCESS_DENIED", "AccessDenied") },
      { level: WARN, msg: once, ...fields(2, "ACCESS_DENIED", "AccessDenied") },
      { level: WARN, msg: once, ...fields(1, "INVALID_REQUEST_REGION", "RegionDisabledException") },
    ]);
    expect(stsLines()[0]!.awsRequestId).toBe(first.details.awsRequestId);
  });

  it("remembers at most 256 role-and-cause pairs: past them, a new one is logged at debug", async () => {
    const sts = stsFor();
    for (let n = 0; n < 257; n++) await rejection(sts.assumeRoleWithIdentityContext(request({ roleArn: unknownRole(n) })));
    const levels = stsLines().map((line) => line.level);
    expect(levels.filter((level) => level === WARN)).toHaveLength(256);
    expect(levels.at(-1)).toBe(DEBUG);
  });

  it("warns once per role when STS refuses the gateway's own credentials, naming the SDK's exception", async () => {
    const sts = stsFor({ credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "wrong" } });
    for (let i = 0; i < 2; i++) expect((await rejection(sts.assumeRoleWithIdentityContext(request()))).code).toBe("GATEWAY_CREDENTIALS_INVALID");
    expect(stsLines()).toEqual([
      expect.objectContaining({ level: WARN, code: "GATEWAY_CREDENTIALS_INVALID", roleArn: ROLE, awsException: "InvalidClientTokenId", awsRequestId: expect.any(String) }),
      expect.objectContaining({ level: DEBUG, msg: "AssumeRole refused for a configured role", awsException: "InvalidClientTokenId" }),
    ]);
  });

  it.each([
    ["InternalFailure", "UPSTREAM_SERVER_ERROR"],
    ["ServiceUnavailable", "UPSTREAM_UNAVAILABLE"],
  ])("warns when STS did not process the call (%s → %s)", async (exception, code) => {
    await dev.addFault({ operation: "AssumeRole", exception, count: 1 });
    expect((await rejection(stsFor().assumeRoleWithIdentityContext(request()))).code).toBe(code);
    expect(stsLines()).toEqual([{ level: WARN, msg: "AssumeRole failed: STS did not process it", code, roleArn: ROLE, awsException: exception, awsRequestId: expect.any(String) }]);
  });

  it("warns when STS cannot read the gateway's request (INTERNAL_SERVER_ERROR: a body over STS's size limit)", async () => {
    const error = await rejection(stsFor().assumeRoleWithIdentityContext(request({ identityContext: "x".repeat(70 * 1024) })));
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect(stsLines()).toEqual([expect.objectContaining({ level: WARN, msg: "AssumeRole failed: STS did not process it", code: "INTERNAL_SERVER_ERROR", roleArn: ROLE })]);
  });

  it("warns when the deadline ends the call, naming the gateway's own error (no AWS request id)", async () => {
    await dev.addFault({ operation: "AssumeRole", latencyMs: 3000, count: 1 });
    const error = await rejection(stsFor({ timeoutMs: 5000, deadlineMs: 300 }).assumeRoleWithIdentityContext(request()));
    expect(error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(stsLines()).toEqual([{ level: WARN, msg: "AssumeRole failed: STS did not process it", code: "UPSTREAM_UNAVAILABLE", roleArn: ROLE, awsException: "GatewayError" }]);
  });

  it.each([
    ["a session longer than the role allows", { durationSeconds: 3700 }, undefined, "INVALID_REQUEST", "ValidationError"],
    ["throttling", {}, "Throttling", "SLOW_DOWN", "Throttling"],
  ])("logs a refusal the caller can act on (%s) at debug only", async (_label, overrides, exception, code, awsException) => {
    if (exception !== undefined) await dev.addFault({ operation: "AssumeRole", exception, count: 1 });
    expect((await rejection(stsFor().assumeRoleWithIdentityContext(request(overrides)))).code).toBe(code);
    expect(stsLines()).toEqual([{ level: DEBUG, msg: "AssumeRole refused", code, roleArn: ROLE, awsException, awsRequestId: expect.any(String) }]);
  });
});

describe("createStsUpstream and answers STS should never send", () => {
  it.each([
    ["no Credentials", ["Credentials"]],
    ["no AccessKeyId", ["AccessKeyId"]],
    ["no SecretAccessKey", ["SecretAccessKey"]],
    ["no SessionToken", ["SessionToken"]],
    ["no Expiration", ["Expiration"]],
  ])("answers UPSTREAM_SERVER_ERROR for an AssumeRole answer with %s", async (_label, elements) => {
    const sts = await proxied(withoutXmlElements(...elements));
    const error = await rejection(sts.assumeRoleWithIdentityContext(request({ identityContext: await identityContext() })));
    expect({ code: error.code, message: error.message }).toEqual({ code: "UPSTREAM_SERVER_ERROR", message: "STS answered AssumeRole without complete credentials." });
  });

  it("returns an empty assumedRoleArn when STS names no AssumedRoleUser, and no requestId when it sends none", async () => {
    const sts = await proxied((xml, headers) => {
      delete headers["x-amzn-requestid"];
      return withoutXmlElements("AssumedRoleUser", "RequestId")(xml, headers);
    });
    const credentials = await sts.assumeRoleWithIdentityContext(request({ identityContext: await identityContext() }));
    expect(credentials.assumedRoleArn).toBe("");
    expect(Object.keys(credentials).sort()).toEqual(["accessKeyId", "assumedRoleArn", "expiration", "secretAccessKey", "sessionToken"]);
  });

  it("closes its connections on destroy()", async () => {
    const proxy = await startEmulatorProxy(emulator.url);
    started.push(proxy);
    const sts = createStsUpstream({ region: emulator.region, endpoint: proxy.url, credentials: emulator.credentials, timeoutMs: 2000, connectTimeoutMs: 1000, maxAttempts: 1, logger: loggerInto([]) });
    await rejection(sts.assumeRoleWithIdentityContext(request({ roleArn: unknownRole(0) })));
    expect(proxy.connections).toBe(1);
    sts.destroy();
    await proxy.allClosed();
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { createStsUpstream } from "../../../src/upstream/create-sts-upstream.js";
import { createUpstream, type CreateUpstreamOptions, type GatewayUpstream, type StsUpstream, type UpstreamTokenRequest } from "../../../src/upstream/index.js";
import { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { startEmulatorProxy, withoutJsonMembers, type AnswerRewrite, type EmulatorProxy } from "../../support/emulator-proxy.js";
import { fieldsOf, gatewayRejection as rejection, liveIdentityContext, loggerInto, type LogLine } from "../../support/upstream-test-kit.js";

/**
 * createUpstream's edges against the emulator over real HTTP, in this process: answers with members
 * AWS may leave out (through an in-process proxy that drops them), which answers clear a credentials
 * problem, a single-use grant meeting an open circuit, the deadline of a call held behind a half-open
 * probe, the log lines an operator reads, and the client's connections (kept alive, closed on destroy).
 */
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const REDIRECT_URI = "https://mywebapp.example/redirect";
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";

let emulator: RunningEmulator;
let dev: EmulatorDevApi;
const started: Array<GatewayUpstream | StsUpstream | EmulatorProxy> = [];
let lines: LogLine[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, config: { roles: [{ arn: ROLE }] } });
  dev = new EmulatorDevApi(emulator.url);
});
afterEach(async () => {
  for (const part of started.splice(0)) await ("stop" in part ? part.stop() : part.destroy());
  lines = [];
  await dev.reset();
});
afterAll(() => emulator.stop());

function options(overrides: Partial<CreateUpstreamOptions>): CreateUpstreamOptions {
  return {
    region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials,
    timeoutMs: 2000, connectTimeoutMs: 1000, maxAttempts: 1, logger: loggerInto(lines),
    ...overrides,
  };
}

function upstreamFor(overrides: Partial<CreateUpstreamOptions> = {}): GatewayUpstream {
  const upstream = createUpstream(options(overrides));
  started.push(upstream);
  return upstream;
}

async function proxy(rewrite?: AnswerRewrite): Promise<EmulatorProxy> {
  const running = await startEmulatorProxy(emulator.url, rewrite);
  started.push(running);
  return running;
}

async function jwtBearerRequest(): Promise<UpstreamTokenRequest> {
  const { assertion } = await dev.assertion({ sub: "alice" });
  return { clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion };
}

async function authorizationCodeRequest(): Promise<UpstreamTokenRequest> {
  const { code } = await dev.authorize({ redirectUri: REDIRECT_URI, sub: "alice" });
  return { clientId: emulator.defaultClientId, grantType: "authorization_code", code, redirectUri: REDIRECT_URI };
}

const linesAbout = (prefix: string) => lines.filter((line) => line.msg.startsWith(prefix)).map(fieldsOf);

/** The cool-down elapsing is no event anyone announces: the breaker's own clock decides. */
const coolDown = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("createUpstream's answer, member by member", () => {
  it("copies no member AWS left out: an answer of none is {}", async () => {
    const all = ["accessToken", "tokenType", "expiresIn", "refreshToken", "idToken", "issuedTokenType", "scope", "awsAdditionalDetails"];
    const running = await proxy((body, headers) => {
      delete headers["x-amzn-requestid"];
      return withoutJsonMembers(...all)(body, headers);
    });
    expect(await upstreamFor({ endpoint: running.url }).createTokenWithIAM(await jwtBearerRequest())).toStrictEqual({});
  });

  it("keeps awsAdditionalDetails without an identity context as {}, and with one as AWS sent it", async () => {
    const running = await proxy(withoutJsonMembers("details.identityContext"));
    const without = await upstreamFor({ endpoint: running.url }).createTokenWithIAM(await jwtBearerRequest());
    expect(without.awsAdditionalDetails).toStrictEqual({});
    const withContext = await upstreamFor().createTokenWithIAM(await jwtBearerRequest());
    expect(withContext.awsAdditionalDetails).toStrictEqual({ identityContext: expect.any(String) });
  });
});

describe("createUpstream and the gateway's credentials", () => {
  it("clears a credentials problem on a grant AWS rejected (it checked the signature first), not on a 5xx", async () => {
    const credentials = { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: "wrong-secret-wrong-secret" };
    const upstream = upstreamFor({ credentials });
    expect((await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()))).code).toBe("GATEWAY_CREDENTIALS_INVALID");
    credentials.secretAccessKey = emulator.credentials.secretAccessKey; // the operator fixes the secret

    await dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    expect((await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()))).code).toBe("UPSTREAM_SERVER_ERROR");
    expect(upstream.health()).toMatchObject({ ok: false, credentials: "rejected" });

    const rejected = { clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion: "not-a-jwt" } as const;
    expect((await rejection(upstream.createTokenWithIAM(rejected))).code).toBe("INVALID_GRANT");
    expect(upstream.health()).toMatchObject({ ok: true, credentials: "ok" });
    expect(linesAbout("the gateway's AWS credentials work again")).toEqual([{ level: 30, msg: "the gateway's AWS credentials work again", previousCause: "bad-signature" }]);
  });

  it("names both problems in its health when the credentials are refused and the circuit is open", async () => {
    const upstream = upstreamFor({ credentials: { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: "wrong-secret-wrong-secret" }, circuitBreaker: { threshold: 1, cooldownMs: 60_000 } });
    await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    // The emulator plays an injected fault before it checks the signature, as a failing front end would.
    await dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    expect(upstream.health()).toEqual({
      ok: false, circuit: "open", credentials: "rejected",
      detail: expect.stringMatching(/^gateway AWS credentials: AWS rejected the gateway's request signature .*; circuit open after 1 consecutive availability faults; next probe in \d+ ms$/),
    });
  });

  it("checkCredentials() resolves the credentials and answers the health", async () => {
    expect(await upstreamFor().checkCredentials()).toEqual({ ok: true, circuit: "closed", credentials: "ok", detail: "circuit closed: Identity Center answers" });
  });
});

describe("createUpstream's log line for each failure", () => {
  const failureLines = () => linesAbout("CreateTokenWithIAM").filter((line) => line.msg !== "CreateTokenWithIAM succeeded");

  it("logs AWS's refusal of the gateway's own request at error (a body over its size limit), by exception name and request id", async () => {
    const error = await rejection(upstreamFor().createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion: "x".repeat(70 * 1024) }));
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect(failureLines()).toEqual([{ level: 50, msg: "CreateTokenWithIAM refused the gateway's own request", awsException: error.details.awsException, awsRequestId: error.details.awsRequestId }]);
  });

  it("logs an upstream fault at warn with the attempts made, and a rejected grant at debug", async () => {
    await dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 2 });
    const upstream = upstreamFor({ maxAttempts: 2 });
    const fault = await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    const refused = await rejection(upstream.createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: JWT_BEARER, assertion: "not-a-jwt" }));
    expect(failureLines()).toEqual([
      { level: 40, msg: "CreateTokenWithIAM failed upstream", code: "UPSTREAM_SERVER_ERROR", grantType: JWT_BEARER, awsException: "InternalServerException", awsRequestId: fault.details.awsRequestId, attempts: 2 },
      { level: 20, msg: "CreateTokenWithIAM rejected the grant", code: "INVALID_GRANT", grantType: JWT_BEARER, awsException: "InvalidGrantException", awsRequestId: refused.details.awsRequestId },
    ]);
  });

  it("logs an unanswered call at warn, naming the gateway's own error; the gateway's credentials per request at debug only", async () => {
    await dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 3000, count: 1 });
    await rejection(upstreamFor({ deadlineMs: 200 }).createTokenWithIAM(await jwtBearerRequest()));
    const refused = await rejection(upstreamFor({ credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "whatever-whatever" } }).createTokenWithIAM(await jwtBearerRequest()));
    expect(failureLines()).toEqual([
      { level: 40, msg: "CreateTokenWithIAM failed upstream", code: "UPSTREAM_UNAVAILABLE", grantType: JWT_BEARER, awsException: "GatewayError" },
      { level: 20, msg: "CreateTokenWithIAM not made: the gateway's AWS credentials are missing or rejected", code: "GATEWAY_CREDENTIALS_INVALID", grantType: JWT_BEARER, awsRequestId: refused.details.awsRequestId },
    ]);
  });
});

describe("createUpstream's single-use grants and the circuit", () => {
  it("refuses a single-use grant at once while the circuit is open, sending nothing", async () => {
    const upstream = upstreamFor({ circuitBreaker: { threshold: 1, cooldownMs: 60_000 } });
    await dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    const request = await authorizationCodeRequest();
    const before = (await dev.stats()).calls.CreateTokenWithIAM;
    const error = await rejection(upstream.createTokenWithIAM(request));
    expect({ code: error.code, message: error.message }).toEqual({ code: "UPSTREAM_UNAVAILABLE", message: "Identity Center is failing; the gateway is not calling it until the cool-down ends. Retry later." });
    // What is left of the minute's cool-down, in whole seconds (not the 1 s floor), here and in the health.
    expect(error.details.retryAfterSeconds).toBeGreaterThan(1);
    expect(error.details.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(Number(/next probe in (\d+) ms$/.exec(upstream.health().detail)?.[1])).toBeGreaterThan(1000);
    expect((await dev.stats()).calls.CreateTokenWithIAM).toBe(before);
    expect(linesAbout("upstream circuit opened")).toEqual([
      { level: 40, msg: "upstream circuit opened: failing fast until a probe succeeds", threshold: 1, cooldownMs: 60_000, service: "Identity Center" },
    ]);
    expect(linesAbout("CreateTokenWithIAM of a single-use grant is slow")).toEqual([]);
  });

  it("rejects a single-use grant AWS refused as it is, without calling it slow", async () => {
    const request = { ...(await authorizationCodeRequest()), code: "not-a-code" };
    expect((await rejection(upstreamFor().createTokenWithIAM(request))).code).toBe("INVALID_GRANT");
    expect(linesAbout("CreateTokenWithIAM of a single-use grant is slow")).toEqual([]);
  });

  it("logs a single-use grant slower than timeoutMs at info, with both time bounds, and its success at debug", async () => {
    await dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 600, count: 1 });
    const answer = await upstreamFor({ timeoutMs: 200, singleUseAnswerTimeoutMs: 5000 }).createTokenWithIAM(await authorizationCodeRequest());
    expect(linesAbout("CreateTokenWithIAM")).toEqual([
      { level: 30, msg: "CreateTokenWithIAM of a single-use grant is slow: still waiting for AWS's answer (never replayed)", grantType: "authorization_code", timeoutMs: 200, singleUseAnswerTimeoutMs: 5000 },
      { level: 20, msg: "CreateTokenWithIAM succeeded", grantType: "authorization_code", awsRequestId: answer.requestId, attempts: 1 },
    ]);
  });
});

describe("the deadline of a call held behind a half-open probe", () => {
  // Deadline 2 s; the probe and the held call each take 1.4 s at the emulator. The held call waits for
  // the probe, so only 0.6 s of its deadline is left: it must end at the deadline, not get 2 s of its own.
  const DEADLINE_MS = 2000;
  const LATENCY_MS = 1400;
  const COOLDOWN_MS = 100;

  it("counts the wait from the call's start (SSO OIDC)", async () => {
    const upstream = upstreamFor({ timeoutMs: 5000, deadlineMs: DEADLINE_MS, circuitBreaker: { threshold: 1, cooldownMs: COOLDOWN_MS } });
    await dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    await rejection(upstream.createTokenWithIAM(await jwtBearerRequest()));
    const [probeRequest, heldRequest] = [await jwtBearerRequest(), await jwtBearerRequest()];
    await coolDown(COOLDOWN_MS + 50);
    await dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: LATENCY_MS, count: 2 });
    const probe = upstream.createTokenWithIAM(probeRequest);
    const held = rejection(upstream.createTokenWithIAM(heldRequest));
    expect(upstream.health()).toEqual({ ok: true, circuit: "half-open", credentials: "ok", detail: "circuit half-open: a probe call is in flight" });
    expect((await probe).tokenType).toBe("Bearer");
    expect((await held).message).toBe(`Identity Center did not answer within the gateway's deadline (${DEADLINE_MS} ms, retries included). Retry later.`);
  });

  it("counts the wait from the call's start (STS)", async () => {
    const sts = createStsUpstream(options({ timeoutMs: 5000, deadlineMs: DEADLINE_MS, circuitBreaker: { threshold: 1, cooldownMs: COOLDOWN_MS } }));
    started.push(sts);
    const identityContext = await liveIdentityContext(emulator, dev);
    const request = { roleArn: ROLE, roleSessionName: "idc-token-gateway", durationSeconds: 900, identityContext };
    await dev.addFault({ operation: "AssumeRole", exception: "InternalFailure", count: 1 });
    await rejection(sts.assumeRoleWithIdentityContext(request));
    await coolDown(COOLDOWN_MS + 50);
    await dev.addFault({ operation: "AssumeRole", latencyMs: LATENCY_MS, count: 2 });
    const probe = sts.assumeRoleWithIdentityContext(request);
    const held = rejection(sts.assumeRoleWithIdentityContext(request));
    expect((await probe).accessKeyId).toMatch(/^ASIA/);
    expect((await held).message).toBe(`STS did not answer within the gateway's deadline (${DEADLINE_MS} ms, retries included). Retry later.`);
  });
});

describe("createUpstream's connections", () => {
  it("keeps one connection alive across calls, and closes it on destroy()", async () => {
    const running = await proxy();
    const upstream = createUpstream(options({ endpoint: running.url }));
    for (let i = 0; i < 2; i++) expect((await upstream.createTokenWithIAM(await jwtBearerRequest())).tokenType).toBe("Bearer");
    expect(running.connections).toBe(1);
    upstream.destroy();
    await running.allClosed();
  });
});

import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { DEFAULT_IAM_USER_ARN } from "../../../src/emulator/emulator-config.js";
import { createLogger } from "../../../src/logging/logger.js";
import { REJECTED_RECHECK_MS } from "../../../src/upstream/credential-health.js";
import { createUpstream, stsOptionsOf, type CreateUpstreamOptions, type GatewayUpstream } from "../../../src/upstream/index.js";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";

/**
 * The gateway's own credentials verified with STS GetCallerIdentity (credential-verifier.ts), by the
 * real SDK over HTTP to the emulator, which checks SigV4 as AWS does: at start (checkCredentials),
 * and again from /readyz's health while AWS refuses them, so a replica out of rotation comes back
 * once its credentials work, without a restart and without an exchange to learn it from.
 */

let emulator: RunningEmulator;
let api: EmulatorApi;
const upstreams: GatewayUpstream[] = [];
let lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  api = emulatorApi(emulator.url);
});
afterEach(async () => {
  vi.useRealTimers();
  for (const upstream of upstreams.splice(0)) upstream.destroy();
  lines = [];
  await api.reset();
});
afterAll(async () => {
  await emulator.stop();
});

function upstreamWith(credentials: CreateUpstreamOptions["credentials"], stsEndpoint: string | undefined = emulator.url): GatewayUpstream {
  const upstream = createUpstream({
    region: emulator.region,
    endpoint: emulator.url,
    ...(credentials === undefined ? {} : { credentials }),
    timeoutMs: 1000,
    connectTimeoutMs: 500,
    maxAttempts: 2,
    logger: createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(JSON.parse(line)) } }),
    verifyCredentials: { stsEndpoint },
  });
  upstreams.push(upstream);
  return upstream;
}

const calls = async () => (await api.stats()).calls as Record<string, number>;
const errorLines = () => lines.filter((line) => line.level === 50);

describe("verifying the gateway's AWS credentials with STS GetCallerIdentity", () => {
  it("at start: the emulator's keys are verified and whose they are is logged once; no Identity Center call", async () => {
    const upstream = upstreamWith(emulator.credentials);
    expect(await upstream.checkCredentials()).toMatchObject({ ok: true, credentials: "ok" });
    await upstream.checkCredentials();
    expect(lines.filter((line) => line.msg === "the gateway's AWS credentials are verified (STS GetCallerIdentity)")).toEqual([
      expect.objectContaining({ level: 30, principalArn: DEFAULT_IAM_USER_ARN, credentialSource: "static" }),
    ]);
    expect(await calls()).toMatchObject({ GetCallerIdentity: 2, CreateTokenWithIAM: 0 });
  });

  it("at start: a wrong secret key makes it not ready before any exchange, naming the cause once", async () => {
    const upstream = upstreamWith({ accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: "not-the-secret-key-0123456789" });
    expect(await upstream.checkCredentials()).toEqual({
      ok: false, circuit: "closed", credentials: "rejected",
      detail: expect.stringMatching(/^gateway AWS credentials: AWS rejected the gateway's request signature \(SignatureDoesNotMatch, HTTP 403\)/),
    });
    expect(errorLines()).toEqual([expect.objectContaining({ cause: "bad-signature" })]);
    expect(JSON.stringify(lines)).not.toContain("not-the-secret-key");
  });

  it("at start: an access key id AWS does not know is named as such", async () => {
    const upstream = upstreamWith({ accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: emulator.credentials.secretAccessKey });
    expect(await upstream.checkCredentials()).toMatchObject({ ok: false, credentials: "rejected", detail: expect.stringContaining("InvalidClientTokenId, HTTP 403") });
    expect(errorLines()).toEqual([expect.objectContaining({ cause: "unrecognized-key" })]);
  });

  it("expired, then renewed: not ready; /readyz's health verifies again only after REJECTED_RECHECK_MS, and the replica is ready again without a restart", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await api.addFault({ operation: "GetCallerIdentity", exception: "ExpiredTokenException", count: 1 });
    const upstream = upstreamWith(emulator.credentials);
    expect(await upstream.checkCredentials()).toMatchObject({ ok: false, credentials: "rejected", detail: expect.stringContaining("have expired") });
    expect(upstream.health().ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await calls()).GetCallerIdentity).toBe(1); // within the interval: no new verification
    vi.setSystemTime(Date.now() + REJECTED_RECHECK_MS);
    upstream.health();
    await vi.waitFor(() => expect(upstream.health()).toMatchObject({ ok: true, credentials: "ok" }));
    expect((await calls()).GetCallerIdentity).toBe(2);
    expect(lines.filter((line) => line.level >= 30).map((line) => [line.level, line.msg])).toEqual([
      [50, "AWS rejected the gateway's own AWS credentials: exchanges answer GATEWAY_CREDENTIALS_INVALID and /readyz is not ready until an operator fixes them"],
      [30, "the gateway's AWS credentials work again (STS GetCallerIdentity)"],
    ]);
  });

  it("still refused at the recheck: stays not ready, and the cause is not logged again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const upstream = upstreamWith({ accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: "still-the-wrong-secret-key-000000" });
    await upstream.checkCredentials();
    vi.setSystemTime(Date.now() + REJECTED_RECHECK_MS);
    upstream.health();
    await vi.waitFor(async () => expect((await calls()).GetCallerIdentity).toBe(2));
    await upstream.checkCredentials(); // settles the recheck in flight, if any (one at a time)
    expect(upstream.health()).toMatchObject({ ok: false, credentials: "rejected" });
    expect(errorLines()).toHaveLength(1);
  });

  it("a 403 that is not STS naming the credentials (a proxy or WAF in front of STS): inconclusive, ready, not rejected", async () => {
    const proxy = createHttpServer((_request, response) => void response.writeHead(403, { "content-type": "text/html" }).end("<html>Forbidden</html>"));
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const upstream = upstreamWith(emulator.credentials, `http://127.0.0.1:${(proxy.address() as { port: number }).port}`);
      expect(await upstream.checkCredentials()).toMatchObject({ ok: true, credentials: "ok" });
      expect(errorLines()).toEqual([]);
      expect(lines.filter((line) => line.level === 40)).toEqual([expect.objectContaining({ reason: expect.stringContaining("HTTP 403") })]);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("STS unreachable: taken as working (ready), a warning once naming why, within the verification's deadline", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const upstream = upstreamWith(emulator.credentials, `http://127.0.0.1:${port}`);
    const startedAt = Date.now();
    expect(await upstream.checkCredentials()).toMatchObject({ ok: true, credentials: "ok" });
    await upstream.checkCredentials();
    expect(Date.now() - startedAt).toBeLessThan(2 * 5_000);
    expect(lines.filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/^could not verify the gateway's AWS credentials with STS GetCallerIdentity/), reason: expect.any(String) }),
    ]);
    expect(errorLines()).toEqual([]);
  });
});

describe("stsOptionsOf", () => {
  const upstream: CreateUpstreamOptions = {
    region: "eu-west-1", endpoint: "https://vpce-0123-abcd.oidc.eu-west-1.vpce.amazonaws.com", timeoutMs: 1, connectTimeoutMs: 1, maxAttempts: 1,
    logger: createLogger({ level: "silent" }), verifyCredentials: { stsEndpoint: undefined },
  };

  it("never sends STS to SSO OIDC's endpoint: without an STS endpoint, AWS's regional STS", () => {
    const options = stsOptionsOf(upstream, undefined);
    expect(options).not.toHaveProperty("endpoint");
    expect(options).not.toHaveProperty("verifyCredentials");
    expect(options.region).toBe("eu-west-1");
  });

  it("an STS endpoint given is used", () => {
    expect(stsOptionsOf(upstream, "http://127.0.0.1:4566").endpoint).toBe("http://127.0.0.1:4566");
  });
});

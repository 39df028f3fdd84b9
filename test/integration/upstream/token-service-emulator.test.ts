import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createGatewayMetrics, type GatewayMetrics } from "../../../src/metrics/metrics.js";
import { createMemoryStore, type Store } from "../../../src/store/index.js";
import { createTokenService, type ApplicationRateLimit, type TokenService } from "../../../src/tokens/index.js";
import { createUpstream, type Upstream } from "../../../src/upstream/index.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { DEFAULT_REDIRECT_URIS } from "../../support/emulator-model.js";
import { lruCachePublications } from "../../support/lru-cache-channel.js";

/**
 * The token service over the real emulator and a memory store: per-request dedupe, single-flight
 * across requests, the response cache, the refresh grace window and single-use codes, each counted
 * by the emulator's stats (our `calls`).
 */
let h: TestEmulator;
let upstream: Upstream;
const stores: Store[] = [];
const logger = createLogger({ level: "silent" });

function serviceWith(env: Record<string, string> = {}, extra: { metrics?: GatewayMetrics; applicationRateLimit?: ApplicationRateLimit } = {}): TokenService {
  const config = loadConfig({
    NODE_ENV: "test", SSO_OIDC_ENDPOINT: h.url, AWS_REGION: h.region, DEFAULT_CLIENT_ID: h.defaultClientId,
    GATEWAY_SECRET: "integration-secret-integration-secret", UPSTREAM_TIMEOUT_MS: "2000", UPSTREAM_CONNECT_TIMEOUT_MS: "1000", ...env,
  });
  const store = createMemoryStore();
  stores.push(store);
  return createTokenService({ config, upstream, logger, store, ...extra });
}

let service: TokenService;

beforeAll(async () => {
  h = await startTestEmulator();
  upstream = createUpstream({ region: h.region, endpoint: h.url, credentials: h.credentials, timeoutMs: 2000, connectTimeoutMs: 1000, maxAttempts: 3, logger });
  service = serviceWith();
});
afterEach(async () => {
  await h.dev.reset();
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  upstream.destroy();
  await h.stop();
});

const upstreamCalls = async (): Promise<number> => (await h.dev.stats()).calls.CreateTokenWithIAM;
let minted = 0;
/** A distinct subject each time: two assertions minted in the same second for one subject are the same JWT (and would hit the cache). */
const mintAssertion = async (): Promise<string> => (await h.dev.assertion({ sub: `alice-${(minted += 1)}` })).assertion;
const counterValues = async (counter: GatewayMetrics["cacheLookups"] | GatewayMetrics["singleFlight"] | GatewayMetrics["upstreamCalls"]) =>
  Object.fromEntries((await counter.get()).values.map(({ labels, value }) => [Object.values(labels).join("/"), value]));

describe("token service over the emulator", () => {
  it("costs one upstream call for three identical JWT-bearer exchanges in one request", async () => {
    const assertion = await mintAssertion();
    const tokens = service.forRequest();
    const results = await Promise.all([1, 2, 3].map(() => tokens.createToken({ grantType: "JWT_BEARER", assertion })));
    expect(new Set(results.map((token) => token.accessToken)).size).toBe(1);
    expect(await upstreamCalls()).toBe(1);
  });

  it("costs one upstream call for 20 identical JWT-bearer exchanges in 20 concurrent requests, all served the same tokens", async () => {
    const assertion = await mintAssertion();
    const results = await Promise.all(Array.from({ length: 20 }, () => service.forRequest().createToken({ grantType: "JWT_BEARER", assertion })));
    expect(new Set(results.map((token) => `${token.accessToken}|${token.refreshToken}|${token.issuedAt}`)).size).toBe(1);
    expect(await upstreamCalls()).toBe(1);
  });

  it("serves a JWT-bearer exchange repeated in a later request from the cache, keeping the original issuedAt and expiresIn", async () => {
    const assertion = await mintAssertion();
    const first = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    const again = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(again).toEqual(first);
    expect(await upstreamCalls()).toBe(1);
  });

  it("does not serve a cached response whose access token keeps less than CACHE_MIN_TTL_SECONDS of life", async () => {
    const strict = serviceWith({ CACHE_MIN_TTL_SECONDS: "86400" });
    const assertion = await mintAssertion();
    const first = await strict.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(first.expiresIn).toBeLessThan(86_400);
    await strict.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(await upstreamCalls()).toBe(2);
  });

  it("refreshes a rotating refresh token twice in one request without invalidating it: one call, one answer", async () => {
    const issued = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    const tokens = service.forRequest();
    const [a, b] = await Promise.all([tokens.refresh({ refreshToken: issued.refreshToken ?? "" }), tokens.refresh({ refreshToken: issued.refreshToken ?? "" })]);
    expect(a.accessToken).toBe(b.accessToken);
    expect(a.refreshToken).not.toBe(issued.refreshToken);
    expect(await upstreamCalls()).toBe(2);
  });

  it("stops serving a cached JWT-bearer answer once the refresh token it holds was rotated, and caches the next answer again", async () => {
    const assertion = await mintAssertion();
    const cached = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion })).toEqual(cached);
    expect(await upstreamCalls()).toBe(1);
    await service.forRequest().refresh({ refreshToken: cached.refreshToken ?? "" });
    const next = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(next.refreshToken).not.toBe(cached.refreshToken);
    expect(await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion })).toEqual(next);
    expect(await upstreamCalls()).toBe(3);
  });

  it("hands no token to a diagnostics-channel subscriber in the process (lru-cache publishes every key and value on lru-cache:metrics)", async () => {
    const published = await lruCachePublications(async () => {
      const assertion = await mintAssertion();
      const issued = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
      await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
      await service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    });
    expect(published).toEqual([]);
  });

  it("answers 15 concurrent refreshes of one refresh token in 15 requests with one upstream call and the same new pair", async () => {
    const issued = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    const results = await Promise.all(Array.from({ length: 15 }, () => service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" })));
    expect(new Set(results.map((token) => `${token.accessToken}|${token.refreshToken}`)).size).toBe(1);
    expect(results[0]!.refreshToken).not.toBe(issued.refreshToken);
    expect(await upstreamCalls()).toBe(2);
  });

  it("answers a refresh presenting a token rotated moments ago with its successor, without an upstream call (grace window)", async () => {
    const issued = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    const successor = await service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    const late = await service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    expect(late).toEqual(successor);
    expect(await upstreamCalls()).toBe(2);
  });

  it("keys the grace window by scope: the same rotated token with another scope is not served the successor (refused without an upstream call)", async () => {
    const issued = await service.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    await service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    await expect(service.forRequest().refresh({ refreshToken: issued.refreshToken ?? "", scope: ["openid"] })).rejects.toMatchObject({ code: "INVALID_GRANT" });
    expect(await upstreamCalls()).toBe(2);
  });

  it("refuses a rotated refresh token itself when the grace window is off: INVALID_GRANT, no upstream call", async () => {
    const noGrace = serviceWith({ REFRESH_GRACE_SECONDS: "0" });
    const issued = await noGrace.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    await noGrace.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    await expect(noGrace.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" })).rejects.toMatchObject({ code: "INVALID_GRANT" });
    expect(await upstreamCalls()).toBe(2);
  });

  it("maps the emulator's InvalidGrantException for a reused refresh token when the grace window and reuse detection are off", async () => {
    const noGrace = serviceWith({ REFRESH_GRACE_SECONDS: "0", REFRESH_REUSE_DETECTION: "false" });
    const issued = await noGrace.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() });
    await noGrace.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    await expect(noGrace.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" })).rejects.toMatchObject({ code: "INVALID_GRANT", details: { awsException: "InvalidGrantException" } });
    expect(await upstreamCalls()).toBe(3);
  });

  it("shares one authorization-code exchange among concurrent requests, and never replays it after: a later request is INVALID_GRANT", async () => {
    const redirectUri = DEFAULT_REDIRECT_URIS[0];
    const { code } = await h.dev.authorize({ clientId: h.defaultClientId, redirectUri, sub: "alice" });
    const request = { grantType: "AUTHORIZATION_CODE" as const, code, redirectUri };
    const results = await Promise.all(Array.from({ length: 5 }, () => service.forRequest().createToken(request)));
    expect(new Set(results.map((token) => token.accessToken)).size).toBe(1);
    expect(await upstreamCalls()).toBe(1);
    await expect(service.forRequest().createToken(request)).rejects.toMatchObject({ code: "INVALID_GRANT" });
    expect(await upstreamCalls()).toBe(2);
  });

  it("rejects invalid input without any upstream call", async () => {
    await expect(service.forRequest().createToken({ grantType: "AUTHORIZATION_CODE", code: "c" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "input.redirectUri" } });
    expect(await upstreamCalls()).toBe(0);
  });

  it("records cache lookups, single-flight roles and upstream calls in the metrics", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const measured = serviceWith({}, { metrics });
    const assertion = await mintAssertion();
    await Promise.all([measured.forRequest().createToken({ grantType: "JWT_BEARER", assertion }), measured.forRequest().createToken({ grantType: "JWT_BEARER", assertion })]);
    const cached = await measured.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    await measured.forRequest().refresh({ refreshToken: cached.refreshToken ?? "" });
    await measured.forRequest().refresh({ refreshToken: cached.refreshToken ?? "" });
    expect(await counterValues(metrics.cacheLookups)).toEqual({ miss: 2, hit: 1 });
    expect(await counterValues(metrics.singleFlight)).toEqual({ leader: 2, follower: 1, grace: 1 });
    expect(await counterValues(metrics.upstreamCalls)).toEqual({ "JWT_BEARER/ok": 1, "REFRESH_TOKEN/ok": 1 });
    expect((await metrics.upstreamDuration.get()).values.find((value) => value.metricName === "idc_gateway_upstream_duration_seconds_count")?.value).toBe(1);
  });

  it("answers an exchange the response cache holds at once, as a value rather than a promise, and counts it as a hit", async () => {
    const metrics = createGatewayMetrics({ collectDefaults: false });
    const measured = serviceWith({}, { metrics });
    const assertion = await mintAssertion();
    const first = measured.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(first).toBeInstanceOf(Promise);
    const issued = await first;
    const again = measured.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toBe(issued);
    // Grants that are never replayed always go the long way.
    const refreshed = measured.forRequest().refresh({ refreshToken: issued.refreshToken ?? "" });
    expect(refreshed).toBeInstanceOf(Promise);
    await refreshed;
    expect(await counterValues(metrics.cacheLookups)).toEqual({ miss: 1, hit: 1 });
    expect(await upstreamCalls()).toBe(2);
    // Invalid input still rejects (never throws), whatever the cache holds.
    await expect(measured.forRequest().createToken({ grantType: "JWT_BEARER", assertion: "" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "input.assertion" } });
  });

  it("consults the application rate limit before each real upstream call only, and lets its RATE_LIMITED through", async () => {
    const consumed: string[] = [];
    let refuse = false;
    const applicationRateLimit: ApplicationRateLimit = {
      async consume(clientId) {
        consumed.push(clientId);
        if (refuse) throw new GatewayError("RATE_LIMITED", undefined, { retryAfterSeconds: 1 });
      },
    };
    const limited = serviceWith({}, { applicationRateLimit });
    const assertion = await mintAssertion();
    await Promise.all([1, 2, 3].map(() => limited.forRequest().createToken({ grantType: "JWT_BEARER", assertion })));
    await limited.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(consumed).toEqual([h.defaultClientId]);
    refuse = true;
    await expect(limited.forRequest().createToken({ grantType: "JWT_BEARER", assertion: await mintAssertion() })).rejects.toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 1 } });
    expect(consumed).toEqual([h.defaultClientId, h.defaultClientId]);
    expect(await upstreamCalls()).toBe(1);
  });

  it("reports the store's health", async () => {
    expect(await service.health()).toEqual({ store: { ok: true, status: "up", detail: expect.stringMatching(/^memory \(process-local, \d+ entries\)$/) } });
  });
});

import { describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../../src/config/config.types.js";
import { loadConfig } from "../../../src/config/index.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createMemoryStore } from "../../../src/store/index.js";
import { createTokenService } from "../../../src/tokens/index.js";
import { MAX_BATCH_SIZE } from "../../../src/tokens/request-token-service.js";
import type { Upstream, UpstreamTokenRequest, UpstreamTokenResponse } from "../../../src/upstream/index.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const OTHER_APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-333333333333";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

// Built by loadConfig, so fields other engineers add to GatewayConfig never break this file.
const config: GatewayConfig = {
  ...loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", SSO_OIDC_ENDPOINT: "http://127.0.0.1:1", DEFAULT_CLIENT_ID: APP, ALLOWED_CLIENT_IDS: OTHER_APP, GATEWAY_SECRET: "s".repeat(32), UPSTREAM_MAX_ATTEMPTS: "1" }),
};

/** A well-formed assertion per label (the same string each time): the gateway's pre-check lets it through to the fake upstream. */
const jwts = new Map<string, string>();
const jwt = (label: string) => jwts.get(label) ?? jwts.set(label, unsignedJwt({ sub: label })).get(label)!;

/** A fake Upstream recording every call (dataloader's `[loader, calls]` style). */
function fakeUpstream(answer: (request: UpstreamTokenRequest) => UpstreamTokenResponse | Error = (request) => ({ accessToken: `at-for-${request.assertion ?? request.refreshToken ?? request.code}`, tokenType: "Bearer", expiresIn: 3600, requestId: "req-1" })) {
  const calls: UpstreamTokenRequest[] = [];
  const upstream: Upstream = {
    async createTokenWithIAM(request) {
      calls.push(request);
      const result = answer(request);
      if (result instanceof Error) throw result;
      return result;
    },
    destroy() {},
  };
  return [upstream, calls] as const;
}

function serviceWith(upstream: Upstream, options: { maxExchanges?: number; callerUpstreamRateLimit?: { consume(address: string): Promise<void> } } = {}) {
  const limits = { ...config.operationLimits, maxExchanges: options.maxExchanges ?? config.operationLimits.maxExchanges };
  return createTokenService({
    config: { ...config, operationLimits: limits }, upstream, logger: createLogger({ level: "silent" }), store: createMemoryStore(),
    callerUpstreamRateLimit: options.callerUpstreamRateLimit,
  });
}

describe("RequestTokenService", () => {
  it("keepUndelivered keeps the operation's authorization-code answers for the retry (taken once), never its failed or replayable exchanges", async () => {
    const [upstream, calls] = fakeUpstream((request) => (request.code === "spent" ? new GatewayError("INVALID_GRANT", "spent") : { accessToken: `at-for-${request.code ?? request.assertion}`, tokenType: "Bearer", expiresIn: 3600, requestId: "r" }));
    const service = serviceWith(upstream);
    const code = { grantType: "AUTHORIZATION_CODE", code: "code-1", redirectUri: "https://app.example/cb", codeVerifier: "v".repeat(43) } as const;
    const first = service.forRequest();
    await first.createToken(code);
    await first.createToken({ grantType: "JWT_BEARER", assertion: jwt("kept-not") });
    await expect(first.createToken({ ...code, code: "spent" })).rejects.toMatchObject({ code: "INVALID_GRANT" });
    await first.keepUndelivered();
    expect(calls).toHaveLength(3);
    expect((await service.forRequest().createToken(code)).accessToken).toBe("at-for-code-1");
    expect(calls).toHaveLength(3);
    await service.forRequest().createToken(code);
    expect(calls).toHaveLength(4); // taken once: the next one goes to AWS
  });

  it("keepUndelivered keeps the operation's refresh answers for the retry with the same refresh token, past the grace window (here none), taken once", async () => {
    const spent = new Set<string>();
    const [upstream, calls] = fakeUpstream((request) => {
      if (spent.has(request.refreshToken!)) return new GatewayError("INVALID_GRANT", "spent");
      spent.add(request.refreshToken!);
      return { accessToken: `at-for-${request.refreshToken}`, refreshToken: `next-${request.refreshToken}`, tokenType: "Bearer", expiresIn: 3600, requestId: "r" };
    });
    const service = createTokenService({
      config: { ...config, coordination: { ...config.coordination!, refreshGraceSeconds: 0 } }, upstream, logger: createLogger({ level: "silent" }), store: createMemoryStore(),
    });
    const first = service.forRequest();
    await first.refresh({ refreshToken: "rt-1" });
    await first.keepUndelivered();
    expect((await service.forRequest().refresh({ refreshToken: "rt-1" })).accessToken).toBe("at-for-rt-1");
    expect(calls).toHaveLength(1);
    await expect(service.forRequest().refresh({ refreshToken: "rt-1" })).rejects.toMatchObject({ code: "INVALID_GRANT" });
  });

  it("sends one upstream call for identical exchanges in one request, and both get the answer", async () => {
    const [upstream, calls] = fakeUpstream();
    const tokens = serviceWith(upstream).forRequest();
    const [a, b] = await Promise.all([
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("jwt-1"), scope: ["openid", "aws"] }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("jwt-1"), scope: ["aws", "openid"], clientId: APP }),
    ]);
    expect(calls).toEqual([{ clientId: APP, grantType: JWT_BEARER, assertion: jwt("jwt-1"), scope: ["openid", "aws"] }]);
    expect(a).toBe(b);
  });

  it("sends one call per distinct exchange", async () => {
    const [upstream, calls] = fakeUpstream();
    const tokens = serviceWith(upstream).forRequest();
    await Promise.all([
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("jwt-1") }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("jwt-2") }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("jwt-1"), clientId: OTHER_APP }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("jwt-1") }),
    ]);
    expect(calls).toEqual([
      { clientId: APP, grantType: JWT_BEARER, assertion: jwt("jwt-1") },
      { clientId: APP, grantType: JWT_BEARER, assertion: jwt("jwt-2") },
      { clientId: OTHER_APP, grantType: JWT_BEARER, assertion: jwt("jwt-1") },
    ]);
  });

  it("shares the answer with a later identical exchange of the same request", async () => {
    const [upstream, calls] = fakeUpstream();
    const tokens = serviceWith(upstream).forRequest();
    await tokens.createToken({ grantType: "REFRESH_TOKEN", refreshToken: "rt-1" });
    await tokens.createToken({ grantType: "REFRESH_TOKEN", refreshToken: "rt-1" });
    expect(calls).toHaveLength(1);
  });

  it("gives each request its own answer object: a later request's alias never sees an earlier request's loader", async () => {
    const [upstream, calls] = fakeUpstream();
    const service = serviceWith(upstream);
    const first = await service.forRequest().createToken({ grantType: "AUTHORIZATION_CODE", code: "code-1", redirectUri: "https://app.example/cb" });
    const second = await service.forRequest().createToken({ grantType: "AUTHORIZATION_CODE", code: "code-1", redirectUri: "https://app.example/cb" });
    // An authorization code is never replayed once its flight is done: the second request goes upstream (and AWS decides).
    expect(calls).toHaveLength(2);
    expect(second).not.toBe(first);
  });

  it("rejects one exchange without failing the others in its batch", async () => {
    const [upstream, calls] = fakeUpstream((request) =>
      request.assertion === jwt("bad") ? new GatewayError("INVALID_GRANT", undefined, { awsException: "InvalidGrantException" }) : { accessToken: "ok" },
    );
    const tokens = serviceWith(upstream).forRequest();
    const results = await Promise.allSettled([
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("good") }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("bad") }),
    ]);
    expect(results[0]).toMatchObject({ status: "fulfilled", value: { accessToken: "ok" } });
    expect(results[1]).toMatchObject({ status: "rejected", reason: { code: "INVALID_GRANT", details: { awsException: "InvalidGrantException" } } });
    expect(calls).toHaveLength(2);
  });

  it("masks a non-GatewayError from the upstream as INTERNAL_SERVER_ERROR", async () => {
    const [upstream] = fakeUpstream(() => new TypeError("bug"));
    await expect(serviceWith(upstream).forRequest().createToken({ grantType: "JWT_BEARER", assertion: jwt("a") })).rejects.toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
  });

  it("validates before calling upstream: a bad request makes no call", async () => {
    const [upstream, calls] = fakeUpstream();
    const tokens = serviceWith(upstream).forRequest();
    await expect(tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("a"), code: "c" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "input.code" } });
    await expect(tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("a"), clientId: "arn:aws:sso::1:application/x/y" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "input.clientId" } });
    expect(calls).toEqual([]);
  });

  it("refresh() is createToken with grantType REFRESH_TOKEN", async () => {
    const [upstream, calls] = fakeUpstream();
    const token = await serviceWith(upstream).forRequest().refresh({ refreshToken: "rt-1", scope: ["openid"] });
    expect(calls).toEqual([{ clientId: APP, grantType: "refresh_token", refreshToken: "rt-1", scope: ["openid"] }]);
    expect(token).toMatchObject({ accessToken: "at-for-rt-1", clientId: APP });
  });

  it("returns AWS's fields with clientId and issuedAt taken when the upstream answered", async () => {
    let answeredAt = 0;
    const [upstream] = fakeUpstream(() => {
      answeredAt = Date.now();
      return { accessToken: "at", tokenType: "Bearer", expiresIn: 60, refreshToken: "rt", idToken: "id", issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid"], awsAdditionalDetails: { identityContext: "ctx" }, requestId: "req-9" };
    });
    const token = await serviceWith(upstream).forRequest().createToken({ grantType: "JWT_BEARER", assertion: jwt("a") });
    const { issuedAt, ...rest } = token;
    expect(rest).toEqual({ accessToken: "at", tokenType: "Bearer", expiresIn: 60, refreshToken: "rt", idToken: "id", issuedTokenType: "urn:ietf:params:oauth:token-type:refresh_token", scope: ["openid"], awsAdditionalDetails: { identityContext: "ctx" }, clientId: APP });
    expect(issuedAt).toBeGreaterThanOrEqual(answeredAt);
    expect(issuedAt - answeredAt).toBeLessThan(50);
  });

  it(`splits more than ${MAX_BATCH_SIZE} distinct exchanges into batches and still answers each`, async () => {
    const [upstream, calls] = fakeUpstream();
    const tokens = serviceWith(upstream, { maxExchanges: 100 }).forRequest();
    const results = await Promise.all(Array.from({ length: MAX_BATCH_SIZE + 5 }, (_, i) => tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt(`jwt-${i}`) })));
    expect(results.map((token) => token.accessToken)).toEqual(Array.from({ length: MAX_BATCH_SIZE + 5 }, (_, i) => `at-for-${jwt(`jwt-${i}`)}`));
    expect(calls).toHaveLength(MAX_BATCH_SIZE + 5);
  });
});

describe("createTokenService", () => {
  it("refuses a config without a usable gateway secret", () => {
    const [upstream] = fakeUpstream();
    expect(() => createTokenService({ config: { ...config, gatewaySecret: Buffer.alloc(8) }, upstream, logger: createLogger({ level: "silent" }), store: createMemoryStore() })).toThrow(
      new TypeError("createTokenService: config.gatewaySecret must be a Buffer of at least 32 bytes (use loadConfig)"),
    );
  });

  it("refuses to start without a store, naming the function that makes one", () => {
    const [upstream] = fakeUpstream();
    expect(() => createTokenService({ config, upstream, logger: createLogger({ level: "silent" }), store: undefined as never })).toThrow(
      new TypeError("createTokenService: store must be a Store (use createGatewayStore({ redisUrl: config.redisUrl, logger }))"),
    );
  });

  it("refuses an applicationRateLimit without consume()", () => {
    const [upstream] = fakeUpstream();
    expect(() => createTokenService({ config, upstream, logger: createLogger({ level: "silent" }), store: createMemoryStore(), applicationRateLimit: {} as never })).toThrow(
      new TypeError("createTokenService: applicationRateLimit must have consume(clientId): Promise<void>"),
    );
  });

  it("caps the distinct exchanges of one operation at MAX_EXCHANGES_PER_OPERATION (aliases count once), refusing the rest without an upstream call", async () => {
    const [upstream, calls] = fakeUpstream();
    const tokens = serviceWith(upstream, { maxExchanges: 2 }).forRequest();
    const results = await Promise.allSettled([
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("cap-1") }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("cap-1") }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("cap-2") }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("cap-3") }),
      tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("cap-2") }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(results[3]).toMatchObject({ status: "rejected", reason: { code: "BAD_USER_INPUT", message: expect.stringContaining("MAX_EXCHANGES_PER_OPERATION=2") } });
    expect(calls.map((call) => call.assertion)).toEqual([jwt("cap-1"), jwt("cap-2")]);
  });

  it("refuses an assertion that cannot be valid with INVALID_GRANT before any upstream call", async () => {
    const [upstream, calls] = fakeUpstream();
    const tokens = serviceWith(upstream).forRequest();
    await expect(tokens.createToken({ grantType: "JWT_BEARER", assertion: "not-a-jwt" })).rejects.toMatchObject({ code: "INVALID_GRANT", details: { field: "input.assertion" } });
    expect(calls).toEqual([]);
  });

  it("charges the caller's upstream budget once per real upstream call, never for a shared or cached answer", async () => {
    const [upstream] = fakeUpstream();
    const charged: string[] = [];
    const service = serviceWith(upstream, { callerUpstreamRateLimit: { consume: async (address) => void charged.push(address) } });
    const tokens = service.forRequest({ address: "192.0.2.7" });
    await Promise.all([tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("budget") }), tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("budget") })]);
    await service.forRequest({ address: "192.0.2.8" }).createToken({ grantType: "JWT_BEARER", assertion: jwt("budget") });
    expect(charged).toEqual(["192.0.2.7"]);
  });

  it("answers RATE_LIMITED without an upstream call when the caller's upstream budget refuses", async () => {
    const [upstream, calls] = fakeUpstream();
    const refuse = { consume: async () => { throw new GatewayError("RATE_LIMITED", "over budget", { retryAfterSeconds: 1 }); } };
    const tokens = serviceWith(upstream, { callerUpstreamRateLimit: refuse }).forRequest({ address: "192.0.2.9" });
    await expect(tokens.createToken({ grantType: "JWT_BEARER", assertion: jwt("refused") })).rejects.toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 1 } });
    expect(calls).toEqual([]);
  });
});

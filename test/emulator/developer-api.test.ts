/**
 * The developer API (`/_emulator/…`): exact call statistics, faults, reset, and 400s for bad input.
 * Every test starts from a reset emulator so the statistics are exact.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  RegisterClientCommand,
  SSOOIDCServiceException,
  StartDeviceAuthorizationCommand,
  CreateTokenWithIAMCommand,
} from "@aws-sdk/client-sso-oidc";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { freshTokens, viaJwtBearer, viaRefreshToken } from "../support/emulator-flows.js";
import { expectAuthFailure, expectAwsException } from "../support/emulator-expect.js";
import { BUILT_IN_ISSUER, DEFAULT_REDIRECT_URIS, GRANT } from "../support/emulator-model.js";

let h: TestEmulator;

beforeAll(async () => {
  h = await startTestEmulator();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(async () => {
  await h.dev.reset();
});

const DEFAULT_AUTHORIZATION_CODE_LIFETIME_MS = 300_000;
const ZERO_CALLS = { CreateTokenWithIAM: 0, CreateToken: 0, RegisterClient: 0, StartDeviceAuthorization: 0, AssumeRole: 0, GetCallerIdentity: 0 };

describe("health, assertions and codes", () => {
  it("answers health with status ok", async () => {
    expect(await h.dev.health()).toEqual({ status: "ok" });
  });

  it("mints assertions from the built-in issuer that verify against its JWKS and carry the requested claims", async () => {
    const answer = await h.dev.assertion({ sub: "alice", expiresInSeconds: 120, claims: { email: "alice@example.com" } });
    expect(answer.issuer).toBe(BUILT_IN_ISSUER.issuer);
    expect(answer.audience).toBe(BUILT_IN_ISSUER.audience);
    const jwks = createLocalJWKSet((await h.dev.issuerJwks()) as never);
    const { payload, protectedHeader } = await jwtVerify(answer.assertion, jwks, {
      issuer: BUILT_IN_ISSUER.issuer,
      audience: BUILT_IN_ISSUER.audience,
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.sub).toBe("alice");
    expect(payload.email).toBe("alice@example.com");
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(100);
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(121);
    expect(answer.expiresAt).toBe(new Date(payload.exp! * 1000).toISOString());
  });

  it("issues authorization codes with an expiry", async () => {
    const before = Date.now();
    const answer = await h.dev.authorize({ redirectUri: DEFAULT_REDIRECT_URIS[0], sub: "alice" });
    const after = Date.now();
    expect(typeof answer.code).toBe("string");
    // An ISO instant one authorization-code lifetime (the emulator's default, 300 s) after the code was issued.
    const issuedAt = Date.parse(String(answer.expiresAt)) - DEFAULT_AUTHORIZATION_CODE_LIFETIME_MS;
    expect(new Date(issuedAt + DEFAULT_AUTHORIZATION_CODE_LIFETIME_MS).toISOString()).toBe(answer.expiresAt);
    expect([issuedAt >= before, issuedAt <= after]).toEqual([true, true]);
  });
});

describe("stats", () => {
  it("counts every request routed to an operation exactly once, whatever its outcome", async () => {
    expect((await h.dev.stats()).calls).toEqual(ZERO_CALLS);
    await viaJwtBearer(h);
    await viaJwtBearer(h);
    expectAwsException(await rejectionOf(h.createTokenWithIAM({ grantType: GRANT.jwtBearer, assertion: "bad" })), "InvalidGrantException");
    const wrongKey = h.client({ credentials: { ...h.credentials, secretAccessKey: "wrong" } });
    const { assertion } = await h.dev.assertion({ sub: "alice" });
    expectAuthFailure(
      await rejectionOf(wrongKey.send(new CreateTokenWithIAMCommand({ clientId: h.defaultClientId, grantType: GRANT.jwtBearer, assertion }))),
      "InvalidSignatureException",
    );
    const client = h.client();
    const registered = await client.send(new RegisterClientCommand({ clientName: "stats", clientType: "public" }));
    await client.send(
      new StartDeviceAuthorizationCommand({ clientId: registered.clientId!, clientSecret: registered.clientSecret!, startUrl: "https://x.awsapps.com/start" }),
    );

    const stats = await h.dev.stats();
    expect(stats.calls).toEqual({ ...ZERO_CALLS, CreateTokenWithIAM: 4, RegisterClient: 1, StartDeviceAuthorization: 1 });
    expect(stats.errors.InvalidGrantException).toBe(1);
  });

  it("counts 40 concurrent calls exactly and issues 40 distinct access tokens", async () => {
    const outs = await Promise.all(Array.from({ length: 40 }, () => viaJwtBearer(h)));
    expect(new Set(outs.map((o) => o.accessToken)).size).toBe(40);
    expect((await h.dev.stats()).calls).toEqual({ ...ZERO_CALLS, CreateTokenWithIAM: 40 });
  });
});

describe("faults", () => {
  it("answers 201 with an id, and DELETE reports how many faults it cleared", async () => {
    const created = await h.dev.raw("POST", "/_emulator/faults", { latencyMs: 1, count: 5 });
    expect(created.status).toBe(201);
    expect(typeof (created.body as { id?: unknown }).id).toBe("string");
    await h.dev.addFault({ operation: "RegisterClient", latencyMs: 1 });
    expect(await h.dev.clearFaults()).toEqual({ cleared: 2 });
    expect(await h.dev.clearFaults()).toEqual({ cleared: 0 });
  });

  it("delays the answer by at least latencyMs and still answers", async () => {
    await h.dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 300, count: 1 });
    const { assertion } = await h.dev.assertion({ sub: "alice" });
    const started = performance.now();
    const out = await h.createTokenWithIAM({ grantType: GRANT.jwtBearer, assertion });
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(out.accessToken).toMatch(/^aoa/);
  });

  it("injects the chosen exception exactly count times, then serves normally", async () => {
    await h.dev.addFault({ operation: "CreateTokenWithIAM", exception: "InvalidGrantException", count: 2 });
    expectAwsException(await rejectionOf(viaJwtBearer(h)), "InvalidGrantException");
    expectAwsException(await rejectionOf(viaJwtBearer(h)), "InvalidGrantException");
    expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
    expect((await h.dev.stats()).calls.CreateTokenWithIAM).toBe(3);
  });

  it("with errorRate 1 fails every call, and with errorRate 0 none", async () => {
    await h.dev.addFault({ operation: "CreateTokenWithIAM", exception: "AccessDeniedException", errorRate: 1 });
    for (let i = 0; i < 5; i++) expectAwsException(await rejectionOf(viaJwtBearer(h)), "AccessDeniedException");
    await h.dev.clearFaults();
    await h.dev.addFault({ operation: "CreateTokenWithIAM", exception: "AccessDeniedException", errorRate: 0 });
    for (let i = 0; i < 5; i++) expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
  });

  it("applies a fault without operation to every operation", async () => {
    await h.dev.addFault({ exception: "InternalServerException" });
    expectAwsException(await rejectionOf(viaJwtBearer(h)), "InternalServerException");
    const e = await rejectionOf(h.client().send(new RegisterClientCommand({ clientName: "x", clientType: "public" })));
    expectAwsException(e, "InternalServerException");
  });

  it("applies a fault only to the operation it names", async () => {
    await h.dev.addFault({ operation: "RegisterClient", exception: "InternalServerException" });
    expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
    const e = await rejectionOf(h.client().send(new RegisterClientCommand({ clientName: "x", clientType: "public" })));
    expectAwsException(e, "InternalServerException");
  });

  it("lets the SDK retry injected 500s: two faults then success in three attempts; three faults exhaust them", async () => {
    const retrying = h.client({ maxAttempts: 3 });
    const call = async () => {
      const { assertion } = await h.dev.assertion({ sub: "alice" });
      return retrying.send(new CreateTokenWithIAMCommand({ clientId: h.defaultClientId, grantType: GRANT.jwtBearer, assertion }));
    };
    await h.dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 2 });
    const out = await call();
    expect(out.accessToken).toMatch(/^aoa/);
    expect(out.$metadata.attempts).toBe(3);

    await h.dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 3 });
    const e = expectAwsException(await rejectionOf(call()), "InternalServerException");
    expect(e.$metadata.attempts).toBe(3);
    expect((await h.dev.stats()).calls.CreateTokenWithIAM).toBe(6);
  });

  it("drops the connection so the SDK sees a network error, and keeps serving afterwards", async () => {
    await h.dev.addFault({ operation: "CreateTokenWithIAM", dropConnection: true, count: 1 });
    const e = await rejectionOf(viaJwtBearer(h));
    expect(e).not.toBeInstanceOf(SSOOIDCServiceException);
    expect(`${e.code ?? ""} ${e.message}`).toMatch(/ECONNRESET|socket hang up|EPIPE|closed|aborted/i);
    expect((await viaJwtBearer(h)).accessToken).toMatch(/^aoa/);
    expect(await h.dev.health()).toEqual({ status: "ok" });
  });
});

describe("reset", () => {
  it("clears codes, tokens, clients, stats and faults", async () => {
    const { code } = await h.dev.authorize({ redirectUri: DEFAULT_REDIRECT_URIS[0], sub: "alice" });
    const { refreshToken } = await freshTokens(h);
    const client = h.client();
    const registered = await client.send(new RegisterClientCommand({ clientName: "reset", clientType: "public" }));
    await h.dev.addFault({ operation: "StartDeviceAuthorization", latencyMs: 1 });

    expect(await h.dev.reset()).toEqual({ reset: true });
    expect(await h.dev.stats()).toMatchObject({ calls: ZERO_CALLS });
    expect(await h.dev.clearFaults()).toEqual({ cleared: 0 });

    const codeUse = h.createTokenWithIAM({ grantType: GRANT.authorizationCode, code, redirectUri: DEFAULT_REDIRECT_URIS[0] });
    expectAwsException(await rejectionOf(codeUse), "InvalidGrantException");
    expectAwsException(await rejectionOf(viaRefreshToken(h, refreshToken)), "InvalidGrantException");
    const start = client.send(
      new StartDeviceAuthorizationCommand({ clientId: registered.clientId!, clientSecret: registered.clientSecret!, startUrl: "https://x.awsapps.com/start" }),
    );
    expectAwsException(await rejectionOf(start), "InvalidClientException");
    expect((await h.dev.stats()).calls).toEqual({ ...ZERO_CALLS, CreateTokenWithIAM: 2, StartDeviceAuthorization: 1 });
    // the issuer's keys survive a reset: new assertions still work
    expect(decodeJwt((await viaJwtBearer(h)).idToken!).aud).toBe(h.defaultClientId);
  });
});

describe("bad developer-API input answers 400 invalid_request naming the field", () => {
  const cases: Array<[string, string, unknown, string]> = [
    ["/_emulator/assertions", "no sub", {}, "sub"],
    ["/_emulator/assertions", "a sub that is not a string", { sub: 5 }, "sub"],
    ["/_emulator/assertions", "expiresInSeconds that is not a number", { sub: "a", expiresInSeconds: "soon" }, "expiresInSeconds"],
    ["/_emulator/authorize", "no redirectUri", { sub: "alice" }, "redirectUri"],
    ["/_emulator/authorize", "no sub", { redirectUri: DEFAULT_REDIRECT_URIS[0] }, "sub"],
    ["/_emulator/authorize", "an unknown codeChallengeMethod", { redirectUri: DEFAULT_REDIRECT_URIS[0], sub: "a", codeChallenge: "x", codeChallengeMethod: "S512" }, "codeChallengeMethod"],
    ["/_emulator/faults", "an errorRate above 1", { errorRate: 2 }, "errorRate"],
    ["/_emulator/faults", "a negative latencyMs", { latencyMs: -5 }, "latencyMs"],
    ["/_emulator/faults", "an exception the model does not have", { exception: "NoSuchException" }, "exception"],
    ["/_emulator/faults", "an unknown operation", { operation: "DeleteEverything", latencyMs: 1 }, "operation"],
    ["/_emulator/faults", "a count of zero", { count: 0, latencyMs: 1 }, "count"],
    ["/_emulator/authorize", "an application that is not configured", { clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-000000000000", redirectUri: DEFAULT_REDIRECT_URIS[0], sub: "a" }, "clientId"],
    ["/_emulator/authorize", "a redirect URI the application does not have", { redirectUri: "https://evil.example/cb", sub: "a" }, "redirectUri"],
    ["/_emulator/authorize", "a scope the application does not have", { redirectUri: DEFAULT_REDIRECT_URIS[0], sub: "a", scope: ["admin:all"] }, "scope"],
    ["/_emulator/device/approve", "no userCode", { sub: "alice" }, "userCode"],
    ["/_emulator/device/approve", "a user code no device authorization has", { userCode: "NOPE-NOPE", sub: "alice" }, "userCode"],
    ["/_emulator/device/deny", "no userCode", {}, "userCode"],
  ];
  for (const [path, what, body, field] of cases) {
    it(`POST ${path} with ${what} names ${field}`, async () => {
      const answer = await h.dev.raw("POST", path, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      const error = answer.body as { error?: string; error_description?: string };
      expect(error.error).toBe("invalid_request");
      expect(error.error_description).toContain(field);
    });
  }

  it("answers 400 invalid_request for a body that is not JSON", async () => {
    const answer = await h.dev.raw("POST", "/_emulator/assertions", "{not json");
    expect(answer.status).toBe(400);
    expect((answer.body as { error?: string }).error).toBe("invalid_request");
  });

  it("leaves no fault behind after rejecting bad fault input", async () => {
    await h.dev.raw("POST", "/_emulator/faults", { errorRate: 2, exception: "InvalidGrantException" });
    expect(await h.dev.clearFaults()).toEqual({ cleared: 0 });
  });
});

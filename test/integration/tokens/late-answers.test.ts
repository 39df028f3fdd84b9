import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, eventually, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { jwtBearer, refresh, replicaEnvironment, startReplicas, type IssuedTokens } from "../scale/scale-support.js";
import { LEVEL, authorizationCode, linesAt, metricValue, outcomeOf } from "./token-state-support.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { browser, codeOf, REFRESH_SESSION, SIGN_IN } from "../sessions/session-support.js";

/**
 * A single-use grant whose upstream answer comes after UPSTREAM_DEADLINE_MS: the caller is
 * answered UPSTREAM_UNAVAILABLE, the call goes on, its answer is kept, and the caller's retry (on
 * either of two replicas sharing Redis) gets it — with exactly one call to the emulator.
 * The upstream's own per-attempt timeout is set high and retries off, so only the deadline acts.
 */
const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;

const DEADLINE_MS = 300;
const UPSTREAM_LATENCY_MS = 600;
const REDIRECT_URI = "https://mywebapp.example/redirect";
const keyPrefix = uniqueKeyPrefix("late-answers");
const redis = rawRedis();
let emulator: TestEmulator;
let replicas: GatewayProcess[] = [];
/** One gateway on the memory store (no REDIS_URL): the in-process flight is the whole coordination. */
let loner: GatewayProcess | undefined;
const SLOW_SETTINGS = { UPSTREAM_DEADLINE_MS: String(DEADLINE_MS), UPSTREAM_TIMEOUT_MS: "5000", UPSTREAM_MAX_ATTEMPTS: "1" };

const calls = async (): Promise<number> => (await emulator.dev.stats()).calls.CreateTokenWithIAM;
const slowNextCall = () => emulator.dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: UPSTREAM_LATENCY_MS, count: 1 });
/** A gateway on the memory store (no REDIS_URL) with SLOW_SETTINGS and `env`. */
const startMemoryGateway = (env: Record<string, string>, label: string) =>
  startGateway({ env: { ...replicaEnvironment({ emulator, redisUrl: "", keyPrefix: "", env: { ...SLOW_SETTINGS, ...env } }, `late-answers-${label}-gateway-secret-0123456789`), REDIS_URL: undefined, REDIS_KEY_PREFIX: undefined } });
const kept = (replica: GatewayProcess, grant: string) => metricValue(replica, `idc_gateway_single_use_late_total{grant="${grant}",outcome="kept"}`);

beforeAll(async () => {
  emulator = await startTestEmulator();
  loner = await startMemoryGateway({}, "memory");
  if (!redisReachable) return;
  ({ replicas } = await startReplicas(2, { emulator, redisUrl: SHARED_REDIS_URL, keyPrefix, env: SLOW_SETTINGS }));
}, 30_000);

afterAll(async () => {
  await Promise.all([...replicas, loner].map((replica) => replica?.stop()));
  if (redisReachable) await deleteKeysWithPrefix(redis, keyPrefix);
  await emulator.stop();
  redis.disconnect();
});

describe("late answers of a single-use grant in one process (memory store)", () => {
  it("answers a slow refresh UPSTREAM_UNAVAILABLE at the deadline, then gives the caller's retries (at once, and after the answer arrived) the new tokens, with one upstream call", async () => {
    const gateway = loner!;
    const { assertion } = await emulator.dev.assertion({ sub: "late-refresh-memory" });
    const session = (await jwtBearer(gateway, assertion)).body.data!.createTokenWithIAM;
    const keptBefore = await kept(gateway, "REFRESH_TOKEN");
    await slowNextCall();
    const before = await calls();

    expect(outcomeOf(await refresh(gateway, session.refreshToken!))).toBe("UPSTREAM_UNAVAILABLE");
    const retry = await refresh(gateway, session.refreshToken!);
    expect(outcomeOf(retry)).toBe("ok");
    await eventually("the late answer was kept", async () => (await kept(gateway, "REFRESH_TOKEN")) > keptBefore);
    expect((await refresh(gateway, session.refreshToken!)).body.data?.refreshToken).toEqual(retry.body.data!.refreshToken);
    expect((await calls()) - before).toBe(1);
  });
});

describe("a slow refresh's late answer and the grace window (1 s)", () => {
  let gateway: GatewayProcess | undefined;
  beforeAll(async () => {
    gateway = await startMemoryGateway({ REFRESH_GRACE_SECONDS: "1" }, "grace");
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it("past the window, goes to the caller's retry once; a second retry is refused, and no retry reaches AWS", async () => {
    // Before, the answer was kept only as the grace successor: a retry after REFRESH_GRACE_SECONDS found the token spent (INVALID_GRANT).
    const { assertion } = await emulator.dev.assertion({ sub: "late-refresh-past-grace" });
    const issued = (await jwtBearer(gateway!, assertion)).body.data!.createTokenWithIAM;
    const keptBefore = await kept(gateway!, "REFRESH_TOKEN");
    await slowNextCall();
    const before = await calls();
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("UPSTREAM_UNAVAILABLE");
    await eventually("the late answer was kept", async () => (await kept(gateway!, "REFRESH_TOKEN")) > keptBefore);
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const retry = await refresh(gateway!, issued.refreshToken!);
    expect(outcomeOf(retry)).toBe("ok");
    expect(retry.body.data!.refreshToken.refreshToken).not.toBe(issued.refreshToken);
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(gateway!, retry.body.data!.refreshToken.refreshToken!))).toBe("ok");
    // The slow call and the last refresh: the late answer's retry reached nobody.
    expect((await calls()) - before).toBe(2);
  });

  it("given to a retry that joined the late call, is not handed out again after the window", async () => {
    // A review: the retry joined the slow call and got its answer; 1.5 s later a second holder of the old token collected the kept copy.
    const { assertion } = await emulator.dev.assertion({ sub: "late-refresh-joiner" });
    const issued = (await jwtBearer(gateway!, assertion)).body.data!.createTokenWithIAM;
    const keptBefore = await kept(gateway!, "REFRESH_TOKEN");
    await slowNextCall();
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("UPSTREAM_UNAVAILABLE");
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("ok");
    await eventually("the late answer was kept", async () => (await kept(gateway!, "REFRESH_TOKEN")) > keptBefore);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("INVALID_GRANT");
  });

  it("collected within the window as the grace successor, is not handed out again after it: a later holder of the old token is refused: a later holder of the old token is refused", async () => {
    // An attacker review: the retry got the grace successor, and 1.5 s later a second holder of the old token collected the kept late answer too.
    const { assertion } = await emulator.dev.assertion({ sub: "late-refresh-once" });
    const issued = (await jwtBearer(gateway!, assertion)).body.data!.createTokenWithIAM;
    const keptBefore = await kept(gateway!, "REFRESH_TOKEN");
    await slowNextCall();
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("UPSTREAM_UNAVAILABLE");
    await eventually("the late answer was kept", async () => (await kept(gateway!, "REFRESH_TOKEN")) > keptBefore);
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("ok");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(outcomeOf(await refresh(gateway!, issued.refreshToken!))).toBe("INVALID_GRANT");
  });
});

describe("a slow session refresh's late answer past the grace window", () => {
  let gateway: GatewayProcess | undefined;
  beforeAll(async () => {
    gateway = await startMemoryGateway({ REFRESH_GRACE_SECONDS: "1", SESSION_MODE: "cookie" }, "session");
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it("reaches the session at the browser's retry: refreshSession succeeds without a second upstream call and the session refreshes afterwards", async () => {
    // Before, the retry after the grace window met the spent refresh token, and the session ended (an attacker review).
    const user = browser();
    const { assertion } = await emulator.dev.assertion({ sub: "late-session-refresh" });
    expect((await user.post(gateway!.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid"] } })).body.errors).toBeUndefined();
    await slowNextCall();
    const before = await calls();
    expect(codeOf(await user.post(gateway!.url, REFRESH_SESSION))).toBe("UPSTREAM_UNAVAILABLE");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const retry = await user.post(gateway!.url, REFRESH_SESSION);
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data!.refreshSession).toMatchObject({ authenticated: true, subject: "late-session-refresh" });
    expect((await calls()) - before).toBe(1);
    expect((await user.post(gateway!.url, REFRESH_SESSION)).body.errors).toBeUndefined();
    expect((await calls()) - before).toBe(2);
  });
});

describeNeeding(sharedRedis, "late answers of single-use grants", () => {
  it("answers a slow refresh UPSTREAM_UNAVAILABLE at the deadline, then gives the caller's retries (at once, and after the answer arrived, on both replicas) the new tokens, with one upstream call", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const { assertion } = await emulator.dev.assertion({ sub: "late-refresh" });
    const session = (await jwtBearer(a, assertion)).body.data!.createTokenWithIAM;
    const keptBefore = await kept(a, "REFRESH_TOKEN");
    await slowNextCall();
    const before = await calls();

    const first = await refresh(a, session.refreshToken!);
    expect(outcomeOf(first)).toBe("UPSTREAM_UNAVAILABLE");
    const [sameReplica, otherReplica] = await Promise.all([refresh(a, session.refreshToken!), refresh(b, session.refreshToken!)]);
    expect([outcomeOf(sameReplica), outcomeOf(otherReplica)]).toEqual(["ok", "ok"]);
    const issued: IssuedTokens = sameReplica.body.data!.refreshToken;
    expect(issued.refreshToken).not.toBe(session.refreshToken);
    expect(otherReplica.body.data!.refreshToken).toEqual(issued);

    await eventually("the late answer was kept", async () => (await kept(a, "REFRESH_TOKEN")) > keptBefore);
    for (const replica of [a, b]) expect((await refresh(replica, session.refreshToken!)).body.data?.refreshToken).toEqual(issued);
    expect((await calls()) - before).toBe(1);

    const errors = linesAt(a, LEVEL.error).filter((line) => String(line.msg).includes("UPSTREAM_DEADLINE_MS"));
    expect(errors.map((line) => line.grant)).toContain("REFRESH_TOKEN");
    expect(await metricValue(a, 'idc_gateway_single_use_late_total{grant="REFRESH_TOKEN",outcome="deadline"}')).toBeGreaterThanOrEqual(1);
  });

  it("keeps a slow authorization code's late answer for the caller's retry on another replica, with one upstream call", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const { code } = await emulator.dev.authorize({ redirectUri: REDIRECT_URI, sub: "late-code" });
    const keptBefore = await kept(a, "AUTHORIZATION_CODE");
    await slowNextCall();
    const before = await calls();

    expect(outcomeOf(await authorizationCode(a, code, REDIRECT_URI))).toBe("UPSTREAM_UNAVAILABLE");
    await eventually("the late answer was kept", async () => (await kept(a, "AUTHORIZATION_CODE")) > keptBefore);
    const retry = await authorizationCode(b, code, REDIRECT_URI);
    expect(outcomeOf(retry)).toBe("ok");
    expect(retry.body.data!.createTokenWithIAM.accessToken).toEqual(expect.any(String));
    expect((await calls()) - before).toBe(1);

    // Taken once, like the code: presenting it again reaches AWS, which refuses the used code.
    expect(outcomeOf(await authorizationCode(a, code, REDIRECT_URI))).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(2);
  });
});

import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { callerAt, type CallerClient } from "./caller-client.js";
import { exchange } from "./hardening-fixture.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

/**
 * No caller can spend the application's AWS quota (issue 11, item 4), on real gateway processes
 * in front of the real emulator, whose stats are the upstream calls:
 * - grants that cannot be valid are refused locally with INVALID_GRANT (no upstream call);
 * - each caller (client address) has its own upstream budget, shared by replicas on Redis;
 * - one operation starts at most MAX_EXCHANGES_PER_OPERATION distinct exchanges;
 * - while one address sends invalid grants at its full allowance, another keeps being served.
 */
const sharedRedis = await probeSharedRedis();
const redisReachable = sharedRedis.missing === undefined;

let emulator: TestEmulator;
/** The emulator's trusted issuer and audience, read from a minted assertion. */
let issuer: { iss: string; aud: string };
const started: Array<GatewayProcess | CallerClient> = [];
const keyPrefix = uniqueKeyPrefix("upstream-budget");

beforeAll(async () => {
  emulator = await startTestEmulator();
  const minted = await emulator.dev.assertion({ sub: "probe" });
  issuer = { iss: minted.issuer, aud: minted.audience };
});
afterEach(async () => {
  for (const item of started.splice(0)) await ("stop" in item ? item.stop() : item.close());
  await emulator.dev.reset();
});
afterAll(async () => {
  await emulator?.stop();
  if (redisReachable) {
    const redis = rawRedis();
    await deleteKeysWithPrefix(redis, keyPrefix);
    redis.disconnect();
  }
});

async function gatewayWith(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = await startGateway({
    env: {
      HOST: "127.0.0.1",
      SSO_OIDC_ENDPOINT: emulator.url,
      AWS_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
      DEFAULT_CLIENT_ID: emulator.defaultClientId,
      GATEWAY_SECRET: "upstream-budget-secret-0123456789abcdef",
      UPSTREAM_MAX_ATTEMPTS: "1",
      ...env,
    },
  });
  started.push(gateway);
  return gateway;
}

function caller(address: string): CallerClient {
  const client = callerAt(address);
  started.push(client);
  return client;
}

const calls = async () => (await emulator.dev.stats()).calls.CreateTokenWithIAM;
let subjects = 0;
const mint = async () => (await emulator.dev.assertion({ sub: `budget-${(subjects += 1)}` })).assertion;
/** Well-formed, from the trusted issuer, unexpired, and forged: only AWS (the emulator) can tell, by its signature. */
const forged = () => unsignedJwt({ ...issuer, sub: `forged-${randomBytes(6).toString("hex")}` });
const mutation = (assertions: string[]) => `mutation { ${assertions.map((assertion, i) => exchange(`t${i}`, assertion)).join(" ")} }`;
const codesOf = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((error) => error.extensions?.code);

describe("grants that cannot be valid", () => {
  it("are refused with INVALID_GRANT on input.assertion, never echoing it, without an upstream call", async () => {
    const gateway = await gatewayWith({ TRUSTED_TOKEN_ISSUERS: `https://other-idp.example,${issuer.iss}` });
    const part = (value: string) => Buffer.from(value).toString("base64url");
    const cases: Record<string, string> = {
      "not a compact JWT": `not-a-jwt-${randomBytes(8).toString("hex")}`,
      "two parts": unsignedJwt(issuer).split(".").slice(0, 2).join("."),
      "a header that is not JSON": [part("{not json"), ...unsignedJwt(issuer).split(".").slice(1)].join("."),
      "a payload that is not JSON": [unsignedJwt(issuer).split(".")[0], part("[1,"), part("sig")].join("."),
      "an exp in the past": await emulator.dev.assertion({ sub: "late", expiresInSeconds: -600 }).then((minted) => minted.assertion),
      "an issuer not in TRUSTED_TOKEN_ISSUERS": unsignedJwt({ iss: "https://untrusted.example", aud: issuer.aud }),
    };
    const client = caller("127.0.0.1");
    for (const [name, assertion] of Object.entries(cases)) {
      const { status, body } = await client.post(gateway.url, mutation([assertion]));
      expect({ name, status, errors: body.errors?.map((error) => ({ path: error.path, code: error.extensions?.code, field: error.extensions?.field })) }).toEqual({
        name, status: 200, errors: [{ path: ["t0"], code: "INVALID_GRANT", field: "input.assertion" }],
      });
      expect(JSON.stringify(body)).not.toContain(assertion);
    }
    expect(await calls()).toBe(0);

    // A valid assertion from the listed issuer still goes through.
    const served = await client.post(gateway.url, mutation([await mint()]));
    expect(served.body.errors).toBeUndefined();
    expect(await calls()).toBe(1);
  });

  it("with TRUSTED_TOKEN_ISSUERS unset, an unknown issuer is Identity Center's to refuse (one upstream call)", async () => {
    const gateway = await gatewayWith({});
    const { body } = await caller("127.0.0.1").post(gateway.url, mutation([unsignedJwt({ iss: "https://unknown-idp.example", aud: issuer.aud })]));
    expect(body.errors?.map((error) => [error.extensions?.code, error.extensions?.awsException])).toEqual([["INVALID_GRANT", "InvalidGrantException"]]);
    expect(await calls()).toBe(1);
  });
});

describe("MAX_EXCHANGES_PER_OPERATION", () => {
  it("lets 15 aliases of 3 distinct exchanges through with 3 upstream calls, and refuses a 4th distinct one with BAD_USER_INPUT naming the limit", async () => {
    const gateway = await gatewayWith({ RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
    const client = caller("127.0.0.1");
    const three = await Promise.all([mint(), mint(), mint()]);
    const aliased = await client.post(gateway.url, mutation(Array.from({ length: 15 }, (_, i) => three[i % 3]!)));
    expect(aliased.body.errors).toBeUndefined();
    expect(Object.keys(aliased.body.data ?? {})).toHaveLength(15);
    expect(await calls()).toBe(3);

    const four = await Promise.all([mint(), mint(), mint(), mint()]);
    const { status, body } = await client.post(gateway.url, mutation([four[0]!, four[1]!, four[2]!, four[0]!, four[3]!]));
    expect(status).toBe(200);
    expect(body.errors?.map((error) => ({ path: error.path, code: error.extensions?.code }))).toEqual([{ path: ["t4"], code: "BAD_USER_INPUT" }]);
    expect(body.errors?.[0]?.message).toContain("MAX_EXCHANGES_PER_OPERATION=3");
    expect(await calls()).toBe(6);
  });
});

describeNeeding(sharedRedis, "the per-caller upstream budget on two replicas sharing Redis", () => {
  it("is one budget per address: spent through one replica, it is spent on the other, while another address keeps its own", async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "1", RATE_LIMIT_CALLER_UPSTREAM_BURST: "3" };
    const [replicaA, replicaB] = await Promise.all([gatewayWith(env), gatewayWith(env)]);
    const spender = caller("127.0.0.2");

    // Through replica A until the budget refuses (1/s + a burst of 3: a handful of calls).
    let refusal: { code?: string; retryAfterSeconds?: unknown; message?: string } | undefined;
    for (let i = 0; i < 20 && refusal === undefined; i += 1) {
      const { body } = await spender.post(replicaA.url, mutation([await mint()]));
      const error = body.errors?.[0];
      if (error) refusal = { code: error.extensions?.code, retryAfterSeconds: error.extensions?.retryAfterSeconds, message: error.message };
    }
    expect(refusal).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number), message: expect.stringContaining("RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND=1") });
    const spent = await calls();

    // Replica B sees the same spent budget: of three exchanges at once, at most the next second's one point gets through.
    const onB = await Promise.all([mint(), mint(), mint()].map(async (assertion) => spender.post(replicaB.url, mutation([await assertion]))));
    expect(onB.flatMap(({ body }) => codesOf(body))).toContain("RATE_LIMITED");
    const throughB = onB.filter(({ body }) => body.errors === undefined).length;
    expect(await calls()).toBe(spent + throughB);
    // Keys name the address alone. Read at once: the per-second key lives about a second, the burst key a few.
    expect(await addressesInUpstreamKeys()).toContain("127.0.0.2");

    // Another address has a budget of its own, on either replica.
    const other = caller("127.0.0.3");
    for (const replica of [replicaA, replicaB]) expect((await other.post(replica.url, mutation([await mint()]))).body.errors).toBeUndefined();
    expect(await addressesInUpstreamKeys()).toContain("127.0.0.3");
  }, 30_000);
});

describe("an address sending invalid grants at its full allowance", () => {
  it("does not stop a second address from getting its exchanges (default limits)", async () => {
    const gateway = await gatewayWith({});
    const attacker = caller("127.0.0.2");
    const user = caller("127.0.0.3");
    const REQUESTS = 40; // RATE_LIMIT_CALLER_BURST's default: the whole request allowance at once
    const WAVE = 10;
    const startedAt = Date.now();

    const attack = (async () => {
      const answers: Array<{ status: number; codes: Array<string | undefined> }> = [];
      for (let sent = 0; sent < REQUESTS; sent += WAVE) {
        const wave = await Promise.all(Array.from({ length: WAVE }, () => attacker.post(gateway.url, mutation(Array.from({ length: 15 }, forged)))));
        answers.push(...wave.map(({ status, body }) => ({ status, codes: codesOf(body) })));
      }
      return answers;
    })();
    const served = (async () => {
      const results = [];
      for (let i = 0; i < 5; i += 1) results.push(await user.post(gateway.url, mutation([await mint()])));
      return results;
    })();
    const [attackAnswers, userResults] = await Promise.all([attack, served]);
    const elapsedSeconds = Math.ceil((Date.now() - startedAt) / 1000);

    expect(userResults.map(({ status, body }) => ({ status, errors: body.errors }))).toEqual(Array.from({ length: 5 }, () => ({ status: 200, errors: undefined })));
    const attackCodes = new Set(attackAnswers.flatMap((answer) => answer.codes));
    expect([...attackCodes].every((code) => code === "INVALID_GRANT" || code === "BAD_USER_INPUT" || code === "RATE_LIMITED")).toBe(true);
    expect(attackCodes).toContain("RATE_LIMITED");
    // The attacker's upstream calls stay within its own budget (2/s over the seconds it ran, plus a burst of 10 per 10 s window).
    const attackerCalls = (await calls()) - 5;
    expect(attackerCalls).toBeGreaterThan(0);
    expect(attackerCalls).toBeLessThanOrEqual(2 * (elapsedSeconds + 1) + 10 * (Math.ceil(elapsedSeconds / 10) + 1));

    const metrics = await (await fetch(`${new URL(gateway.url).origin}/metrics`)).text();
    const refused = Number(metrics.match(/idc_gateway_rejections_total\{reason="rate_limited_caller_upstream"\} (\d+)/)?.[1] ?? 0);
    expect(refused).toBeGreaterThan(0);
  }, 30_000);
});

/** The addresses the upstream budget's keys (per-second and burst) are kept under; fails on a key of any other shape. */
async function addressesInUpstreamKeys(): Promise<string[]> {
  const redis = rawRedis();
  try {
    const keys = await redis.keys(`${keyPrefix}idcgw:rl:upstream*`);
    const shape = new RegExp(`^${keyPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}idcgw:rl:upstream(?:-burst)?:(127\\.0\\.0\\.[0-9]+)$`);
    return keys.map((key) => {
      const match = shape.exec(key);
      if (!match) throw new Error(`an upstream budget key of an unexpected shape: ${key}`);
      return match[1]!;
    });
  } finally {
    redis.disconnect();
  }
}

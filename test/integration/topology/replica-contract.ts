/**
 * The multi-replica contract of test/integration/scale, run against a topology the test file
 * builds itself (Cluster, Sentinel): three real gateway processes on the topology's REDIS_URL, one
 * emulator whose stats are the upstream calls asserted on, exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import type { GraphQLResult } from "../../support/gateway-client.js";
import { eventually } from "../store/redis-test-support.js";
import { jwtBearer, refresh, startReplicas, type IssuedTokens } from "../scale/scale-support.js";
import { stopAll } from "./redis-processes.js";

export interface Topology {
  /** REDIS_URL for the gateways. */
  url: string;
  /** Extra gateway variables (e.g. NODE_EXTRA_CA_CERTS for a TLS topology). */
  env?: Record<string, string>;
  /**
   * Kills the node holding the data (the Sentinel primary, a Cluster master) and resolves once the
   * topology itself has promoted a replica (only called with `failover: true`).
   */
  failover(): Promise<void>;
}

const GRACE_SECONDS = 2;

/**
 * `failover: false` for a topology built without replicas (nothing could take over: the test is not
 * registered).
 */
export function describeReplicaContract(name: string, options: { failover: boolean }, start: () => Promise<Topology>): RunningGroup {
  let emulator: TestEmulator | undefined;
  let topology: Topology;
  let replicas: GatewayProcess[] = [];
  let subjects = 0;

  const calls = async (): Promise<number> => (await emulator!.dev.stats()).calls.CreateTokenWithIAM;
  const mintAssertion = async () => (await emulator!.dev.assertion({ sub: `${name.replace(/\W+/g, "-")}-${(subjects += 1)}` })).assertion;
  const errorsOf = (results: Array<GraphQLResult<unknown>>) => results.flatMap((result) => result.body.errors ?? []);
  const codeOf = (result: GraphQLResult<unknown>) => result.body.errors?.map((error) => error.extensions?.code) ?? ["ok"];
  const pairOf = (tokens: IssuedTokens) => `${tokens.accessToken}|${tokens.refreshToken}`;

  async function signIn(replica: GatewayProcess): Promise<IssuedTokens> {
    const result = await jwtBearer(replica, await mintAssertion());
    expect(result.body.errors).toBeUndefined();
    return result.body.data!.createTokenWithIAM;
  }

  /** 30 identical exchanges spread over the replicas: how many upstream calls, and how many distinct answers. */
  async function exchangeStorm(): Promise<{ upstreamCalls: number; distinctAnswers: number; errors: unknown[] }> {
    const assertion = await mintAssertion();
    const before = await calls();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => jwtBearer(replicas[i % 3]!, assertion)));
    const errors = errorsOf(results);
    const answers = new Set(results.flatMap((result) => (result.body.data ? [pairOf(result.body.data.createTokenWithIAM)] : [])));
    return { upstreamCalls: (await calls()) - before, distinctAnswers: answers.size, errors };
  }

  /** Whether /readyz on `replica` reports the shared store in use (not degraded to process memory). */
  async function sharedAgain(replica: GatewayProcess): Promise<boolean> {
    const response = await fetch(replica.url.replace(/\/graphql$/, "/readyz"));
    const body = (await response.json()) as { status: string };
    return response.status === 200 && body.status === "ready";
  }

  beforeAll(async () => {
    try {
      topology = await start();
      emulator = await startTestEmulator();
      ({ replicas } = await startReplicas(3, {
        emulator,
        redisUrl: topology.url,
        keyPrefix: "",
        env: { REFRESH_GRACE_SECONDS: String(GRACE_SECONDS), UPSTREAM_MAX_ATTEMPTS: "1", ...topology.env },
      }));
    } catch (error) {
      await teardown();
      throw error;
    }
  }, 60_000);

  async function teardown(): Promise<void> {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await emulator?.stop();
    await stopAll();
  }
  afterAll(teardown, 30_000);

  describe(`three gateway replicas on ${name}`, () => {
    it("answers 30 concurrent refreshes of one refresh token, spread over the replicas, with one upstream call and the same new pair", async () => {
      const session = await signIn(replicas[0]!);
      const before = await calls();
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => refresh(replicas[i % 3]!, session.refreshToken!)));
      expect(errorsOf(results)).toEqual([]);
      const pairs = new Set(results.map((result) => pairOf(result.body.data!.refreshToken)));
      expect(pairs.size).toBe(1);
      expect([...pairs][0]!.split("|")[1]).not.toBe(session.refreshToken);
      expect((await calls()) - before).toBe(1);
    });

    it("answers 30 concurrent identical JWT-bearer exchanges, spread over the replicas, with one upstream call and the same tokens", async () => {
      expect(await exchangeStorm()).toEqual({ upstreamCalls: 1, distinctAnswers: 1, errors: [] });
    });

    it(`serves a rotated refresh token's successor on another replica within REFRESH_GRACE_SECONDS (${GRACE_SECONDS}), with no upstream call`, async () => {
      const session = await signIn(replicas[0]!);
      const rotated = (await refresh(replicas[0]!, session.refreshToken!)).body.data!.refreshToken;
      const before = await calls();
      const late = await refresh(replicas[1]!, session.refreshToken!);
      expect(late.body.errors).toBeUndefined();
      expect(late.body.data!.refreshToken).toEqual(rotated);
      expect((await calls()) - before).toBe(0);
    });

    it("answers INVALID_GRANT on every replica to a rotated token replayed after its successor was refreshed, and to the family's newest token, with no upstream call", async () => {
      const session = await signIn(replicas[0]!);
      const first = (await refresh(replicas[0]!, session.refreshToken!)).body.data!.refreshToken;
      const second = (await refresh(replicas[1]!, first.refreshToken!)).body.data!.refreshToken;
      const before = await calls();
      expect(codeOf(await refresh(replicas[2]!, session.refreshToken!))).toEqual(["INVALID_GRANT"]);
      expect(codeOf(await refresh(replicas[0]!, second.refreshToken!))).toEqual(["INVALID_GRANT"]);
      expect(codeOf(await refresh(replicas[1]!, second.refreshToken!))).toEqual(["INVALID_GRANT"]);
      expect((await calls()) - before).toBe(0);
    });

    if (options.failover) it("answers every request while the node holding the data is killed under load, and the replicas share state again by themselves", async () => {
      const sessions = await Promise.all(replicas.map(signIn));
      let failingOver = true;
      const failures: string[] = [];
      let answered = 0;
      const load = (async () => {
        while (failingOver) {
          await Promise.all(replicas.map(async (replica, i) => {
            const [exchange, refreshed] = await Promise.all([jwtBearer(replica, await mintAssertion()), refresh(replica, sessions[i]!.refreshToken!)]);
            for (const result of [exchange, refreshed]) {
              if (result.status >= 500 || result.body.errors?.length) failures.push(`${result.status} ${JSON.stringify(codeOf(result))}`);
              else answered += 1;
            }
            if (refreshed.body.data) sessions[i] = refreshed.body.data.refreshToken;
          }));
        }
      })();
      try {
        // Load is flowing before the kill: the kill lands mid-traffic, not before it.
        await eventually("the first answers under load", () => answered >= 6, 10_000);
        await topology.failover();
        await eventually("every replica says ready (shared store) on /readyz", async () => (await Promise.all(replicas.map(sharedAgain))).every(Boolean), 20_000);
        const afterwards = answered;
        await eventually("more answers after the failover", () => answered >= afterwards + 6, 10_000);
      } finally {
        failingOver = false;
        await load;
      }
      expect(failures).toEqual([]);
      // Shared again: one upstream call for a storm over the three replicas.
      expect(await exchangeStorm()).toEqual({ upstreamCalls: 1, distinctAnswers: 1, errors: [] });
    }, 60_000);
  });
  return { topology: () => topology, replicas: () => replicas, mintAssertion, exchangeStorm, isShared: sharedAgain };
}

/** The running group, for a file's own tests (valid inside tests only). */
export interface RunningGroup {
  topology(): Topology;
  replicas(): GatewayProcess[];
  /** A fresh assertion from the group's emulator. */
  mintAssertion(): Promise<string>;
  /** 30 identical exchanges over the three replicas: upstream calls, distinct answers, errors. */
  exchangeStorm(): Promise<{ upstreamCalls: number; distinctAnswers: number; errors: unknown[] }>;
  /** Whether /readyz on the replica reports the shared store in use. */
  isShared(replica: GatewayProcess): Promise<boolean>;
}

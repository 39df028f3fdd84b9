import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { jwtBearer, refresh, startReplicas } from "../scale/scale-support.js";
import { LEVEL, linesAt, outcomeOf, readiness } from "../tokens/token-state-support.js";
import { eventually, findFreePort, startRedisServer, type RedisServerProcess } from "./redis-test-support.js";

/**
 * What a replica decided while Redis hung reaches Redis when it answers again. A refresh family
 * revoked for reuse during the outage was written to the replica's process memory only; the moment
 * Redis answered, that replica and every other one read the family's records from Redis, which knew
 * nothing of the revocation, and the family's live token went to AWS, which honours it.
 */
const redisServer = probeRedisServerBinary();
let redis: RedisServerProcess | undefined;
let emulator: TestEmulator | undefined;
let replicas: GatewayProcess[] = [];

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  redis = await startRedisServer(await findFreePort());
  emulator = await startTestEmulator();
  // No grace window: a token presented after its successor was refreshed is a reuse at once.
  ({ replicas } = await startReplicas(2, { emulator, redisUrl: redis.url, keyPrefix: "test:outage-carry:", env: { REFRESH_GRACE_SECONDS: "0" } }));
}, 30_000);

afterAll(async () => {
  redis?.resume();
  await Promise.all(replicas.map((replica) => replica.stop()));
  await redis?.stop();
  await emulator?.stop();
});

describeNeeding(redisServer, "a refresh family revoked while Redis hangs", () => {
  it("stays revoked on every replica once Redis answers again: the family's live token is refused without an upstream call", async () => {
    const [during, other] = replicas as [GatewayProcess, GatewayProcess];
    const rotate = async (token: string) => (await refresh(during, token)).body.data!.refreshToken.refreshToken!;
    const assertion = (await emulator!.dev.assertion({ sub: "outage-victim" })).assertion;
    redis!.pause();
    let r2: string;
    try {
      // The whole family lives in the outage: R0 → R1 → R2, then a replay of R0 revokes it.
      const r0 = (await jwtBearer(during, assertion)).body.data!.createTokenWithIAM.refreshToken!;
      r2 = await rotate(await rotate(r0));
      expect((await readiness(during)).body.checks.store!.detail).toMatch(/^degraded: redis unreachable/);
      expect(outcomeOf(await refresh(during, r0))).toBe("INVALID_GRANT");
      expect(outcomeOf(await refresh(during, r2))).toBe("INVALID_GRANT");
    } finally {
      redis!.resume();
    }
    await eventually("the replica back on Redis", async () => (await readiness(during)).body.checks.store!.detail.endsWith(": ok"), 15_000);
    const recovered = linesAt(during, LEVEL.info).find((line) => line.msg === "store recovered: redis reachable again");
    expect(recovered?.carried).toBeGreaterThan(0);

    const callsBefore = (await emulator!.dev.stats()).calls.CreateTokenWithIAM ?? 0;
    expect(outcomeOf(await refresh(other, r2))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(during, r2))).toBe("INVALID_GRANT");
    expect((await emulator!.dev.stats()).calls.CreateTokenWithIAM ?? 0).toBe(callsBefore);
  }, 60_000);
});

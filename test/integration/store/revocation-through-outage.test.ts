import { afterAll, beforeAll, expect, it } from "vitest";
import type { Redis } from "ioredis";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { describeNeeding, probeRedisServerBinary } from "../../support/test-dependencies.js";
import { jwtBearer, refresh, startReplicas } from "../scale/scale-support.js";
import { outcomeOf, readiness } from "../tokens/token-state-support.js";
import { findFreePort, rawRedis, startRedisServer, type RedisServerProcess } from "./redis-test-support.js";

/**
 * A refresh family revoked for reuse stays revoked while Redis refuses writes (maxmemory, noeviction:
 * what a Redis filled by months of family bookkeeping or a flood of persisted queries reaches).
 * Degraded, the gateway serves from process memory, where the revocation was never written: the
 * family's live token went to AWS, which honours it, and came back with new tokens (an attacker's
 * review). A full Redis still answers reads, and the family's records are read from it.
 */
const redisServer = probeRedisServerBinary();
let server: RedisServerProcess | undefined;
let admin: Redis | undefined;
let emulator: TestEmulator | undefined;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  if (redisServer.missing !== undefined) return;
  server = await startRedisServer(await findFreePort());
  admin = rawRedis(server.url);
  emulator = await startTestEmulator();
  // No grace window: a token presented after its successor was refreshed is a reuse at once.
  ({ replicas: [gateway] } = await startReplicas(1, { emulator, redisUrl: server.url, keyPrefix: "test:revocation-outage:", env: { REFRESH_GRACE_SECONDS: "0" } }));
}, 30_000);

afterAll(async () => {
  await admin?.config("SET", "maxmemory", "0").catch(() => undefined);
  await gateway?.stop();
  admin?.disconnect();
  await server?.stop();
  await emulator?.stop();
});

describeNeeding(redisServer, "a family revoked before Redis refuses writes", () => {
  it("stays revoked while the gateway serves degraded: its live token is refused without an upstream call, a family never revoked still refreshes", async () => {
    const replica = gateway!;
    const signIn = async (sub: string) => (await jwtBearer(replica, (await emulator!.dev.assertion({ sub })).assertion)).body.data!.createTokenWithIAM.refreshToken!;
    const rotate = async (token: string) => (await refresh(replica, token)).body.data!.refreshToken.refreshToken!;
    // The victim's family: R0 → R1 → R2; a replay of R0 (its successor R1 already refreshed) revokes it.
    const r0 = await signIn("victim");
    const r2 = await rotate(await rotate(r0));
    expect(outcomeOf(await refresh(replica, r0))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(replica, r2))).toBe("INVALID_GRANT");
    const bystander = await rotate(await signIn("bystander"));

    await admin!.config("SET", "maxmemory-policy", "noeviction");
    await admin!.config("SET", "maxmemory", "1");
    await expect(admin!.set("probe", "x")).rejects.toThrow(/OOM/);
    expect((await readiness(replica)).body.checks.store!.detail).toMatch(/^degraded: redis refuses writes/);

    const callsBefore = (await emulator!.dev.stats()).calls.CreateTokenWithIAM ?? 0;
    const revoked = await refresh(replica, r2);
    expect(outcomeOf(revoked)).toBe("INVALID_GRANT");
    expect((await emulator!.dev.stats()).calls.CreateTokenWithIAM ?? 0).toBe(callsBefore);
    // Degraded is not down: a family never revoked still refreshes.
    expect(outcomeOf(await refresh(replica, bystander))).toBe("ok");
  });
});

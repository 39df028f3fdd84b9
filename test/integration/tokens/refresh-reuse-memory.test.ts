import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { jwtBearer, refresh, replicaEnvironment, type IssuedTokens } from "../scale/scale-support.js";
import { outcomeOf } from "./token-state-support.js";

/**
 * Reuse detection in one gateway process on the memory store (no REDIS_URL), and the setting that
 * turns it off: with REFRESH_REUSE_DETECTION=false the grace window serves a rotated token's
 * successor to anyone within the window, as before.
 */
let emulator: TestEmulator;
let guarded: GatewayProcess | undefined;
let unguarded: GatewayProcess | undefined;
/** A memory store of 16 entries: a few exchanges fill it, so a revocation must not live in it. */
let small: GatewayProcess | undefined;
let subjects = 0;

const calls = async (): Promise<number> => (await emulator.dev.stats()).calls.CreateTokenWithIAM;

beforeAll(async () => {
  emulator = await startTestEmulator();
  const env = { ...replicaEnvironment({ emulator, redisUrl: "", keyPrefix: "" }, "memory-mode-gateway-secret-0123456789abcdef"), REDIS_URL: undefined, REDIS_KEY_PREFIX: undefined };
  [guarded, unguarded, small] = await Promise.all([
    startGateway({ env }),
    startGateway({ env: { ...env, REFRESH_REUSE_DETECTION: "false" } }),
    startGateway({ env: { ...env, CACHE_MAX_ENTRIES: "16", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" } }),
  ]);
}, 30_000);

afterAll(async () => {
  await Promise.all([guarded?.stop(), unguarded?.stop(), small?.stop()]);
  await emulator.stop();
});

async function rotateTwice(gateway: GatewayProcess): Promise<{ root: string; first: IssuedTokens; second: IssuedTokens }> {
  const { assertion } = await emulator.dev.assertion({ sub: `memory-${(subjects += 1)}` });
  const root = (await jwtBearer(gateway, assertion)).body.data!.createTokenWithIAM.refreshToken!;
  const first = (await refresh(gateway, root)).body.data!.refreshToken;
  expect((await refresh(gateway, root)).body.data?.refreshToken).toEqual(first);
  const second = (await refresh(gateway, first.refreshToken!)).body.data!.refreshToken;
  return { root, first, second };
}

describe("refresh-token reuse detection in one process (memory store)", () => {
  it("serves the successor to a replay while it is unused, then refuses the rotated token and its newest descendant with no upstream call", async () => {
    const { root, second } = await rotateTwice(guarded!);
    const before = await calls();
    expect(outcomeOf(await refresh(guarded!, root))).toBe("INVALID_GRANT");
    expect(outcomeOf(await refresh(guarded!, second.refreshToken!))).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(0);
  });

  it("keeps a revoked family refused after 40 other sign-ins churn the response cache and the memory store (CACHE_MAX_ENTRIES=16)", async () => {
    const { root, second } = await rotateTwice(small!);
    expect(outcomeOf(await refresh(small!, root))).toBe("INVALID_GRANT");
    for (let index = 0; index < 40; index += 1) {
      const { assertion } = await emulator.dev.assertion({ sub: `churn-${index}` });
      expect(outcomeOf(await jwtBearer(small!, assertion))).toBe("ok");
    }
    const before = await calls();
    expect(outcomeOf(await refresh(small!, second.refreshToken!))).toBe("INVALID_GRANT");
    expect((await calls()) - before).toBe(0);
  });

  it("with REFRESH_REUSE_DETECTION=false, keeps serving a rotated token's successor within the window even after the successor was used", async () => {
    const { root, first, second } = await rotateTwice(unguarded!);
    expect((await refresh(unguarded!, root)).body.data?.refreshToken).toEqual(first);
    expect(outcomeOf(await refresh(unguarded!, second.refreshToken!))).toBe("ok");
  });
});

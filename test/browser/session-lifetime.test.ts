import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../support/gateway-process.js";
import { sleep } from "../support/emulator-harness.js";
import { describeNeeding, probeSharedRedis } from "../support/test-dependencies.js";
import { chromiumDependency } from "./chromium.js";
import { refreshFrom, sessionOf, signIn } from "./session-operations.js";
import { codesOf, dataOf } from "./session-page.js";
import { openApp, startSessionWorld, type SessionWorld } from "./session-topology.js";

/**
 * How long a browser's session lives: it outlives the gateway process that started it (the
 * session is in Redis, sealed with the shared GATEWAY_SECRET), and it ends when left idle for
 * SESSION_IDLE_TIMEOUT_SECONDS, unless an operation uses it first.
 */
const dependencies = [chromiumDependency(), await probeSharedRedis()];
const IDLE_TIMEOUT_SECONDS = 4;
/** Past a reported deadline by this much, so the gateway's clock (the same machine's) has certainly passed it too. */
const PAST_DEADLINE_MS = 50;

let world: SessionWorld;
/** A gateway with the default idle timeout (an hour): the one the restart test stops. */
let restartable: GatewayProcess;
/** A gateway of the same world whose sessions idle out after IDLE_TIMEOUT_SECONDS. */
let idle: GatewayProcess;

/** Waits for the instant the gateway reported (an ISO date-time) plus `offsetMs`: the event these tests wait for is a deadline. */
async function reach(instant: string, offsetMs: number): Promise<void> {
  await sleep(Math.max(0, Date.parse(instant) + offsetMs - Date.now()));
}

describeNeeding(dependencies, "session mode in Chromium: lifetimes", () => {
  beforeAll(async () => {
    world = await startSessionWorld({ label: "session-lifetime", gateways: 1 });
    restartable = world.gateways[0]!;
    idle = await world.startGateway({ SESSION_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS) });
  }, 60_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("keeps the session across a restart of the gateway the page used: a new process on the same Redis, secret and prefix answers it and refreshes it", async () => {
    const { context, page } = await openApp(world);
    const first = restartable;
    dataOf(await signIn(world, page, first, "restarted"));
    const before = await sessionOf(page, first);
    expect(before).toMatchObject({ authenticated: true, subject: "restarted" });

    expect(await first.stop()).toBe(0);
    const second = await world.startGateway();
    expect(await sessionOf(page, second)).toMatchObject({ authenticated: true, subject: "restarted", absoluteExpiresAt: before.absoluteExpiresAt });
    const callsBefore = await world.upstreamCalls();
    expect(dataOf(await refreshFrom(page, second)).refreshSession).toMatchObject({ authenticated: true, subject: "restarted", canRefresh: true });
    expect((await world.upstreamCalls()) - callsBefore).toBe(1);
    expect(await sessionOf(page, second)).toMatchObject({ authenticated: true, subject: "restarted" });
    await context.close();
  });

    it(`ends a session left idle for SESSION_IDLE_TIMEOUT_SECONDS=${IDLE_TIMEOUT_SECONDS}: session answers authenticated false and refreshSession UNAUTHENTICATED`, async () => {
    // Two browsers, each asked one question after the deadline, so neither answer rides on a cookie the other's answer cleared.
    const [refresher, reader] = await Promise.all([openApp(world), openApp(world)]);
    dataOf(await signIn(world, refresher.page, idle, "idle-refresher"));
    dataOf(await signIn(world, reader.page, idle, "idle-reader"));
    const deadlines = [(await sessionOf(refresher.page, idle)).idleExpiresAt!, (await sessionOf(reader.page, idle)).idleExpiresAt!];
    await reach(deadlines.sort().at(-1)!, PAST_DEADLINE_MS);

    const callsBefore = await world.upstreamCalls();
    expect(codesOf(await refreshFrom(refresher.page, idle))).toEqual(["UNAUTHENTICATED"]);
    expect(await world.upstreamCalls()).toBe(callsBefore);
    expect(await sessionOf(reader.page, idle)).toMatchObject({ authenticated: false, subject: null, idleExpiresAt: null });
    await Promise.all([refresher.context.close(), reader.context.close()]);
  });

  it("keeps a session that is used before its idle deadline alive past that deadline, then ends it once it is left idle", async () => {
    const { context, page } = await openApp(world);
    dataOf(await signIn(world, page, idle, "idle-kept"));
    const firstDeadline = (await sessionOf(page, idle)).idleExpiresAt!;

    // Half way to the deadline, the page uses the session: its idle clock restarts.
    await reach(firstDeadline, (-IDLE_TIMEOUT_SECONDS * 1000) / 2);
    const used = await sessionOf(page, idle);
    expect(used).toMatchObject({ authenticated: true, subject: "idle-kept" });
    expect(Date.parse(used.idleExpiresAt!)).toBeGreaterThan(Date.parse(firstDeadline));

    await reach(firstDeadline, PAST_DEADLINE_MS);
    const pastFirst = await sessionOf(page, idle);
    expect(pastFirst).toMatchObject({ authenticated: true, subject: "idle-kept" });

    await reach(pastFirst.idleExpiresAt!, PAST_DEADLINE_MS);
    expect(await sessionOf(page, idle)).toMatchObject({ authenticated: false });
    await context.close();
  });
});

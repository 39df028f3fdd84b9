import type { Response } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GatewayProcess } from "../support/gateway-process.js";
import { describeNeeding, probeSharedRedis } from "../support/test-dependencies.js";
import { chromiumDependency } from "./chromium.js";
import { releasedTogether } from "./session-at-once.js";
import { SESSION_COOKIE, SIGN_OUT_EVERYWHERE, refreshFrom, sessionCookie, sessionIdIn, sessionOf, signIn } from "./session-operations.js";
import { bodiesSeenBy, callFromPage, dataOf } from "./session-page.js";
import { openApp, openTab, startSessionWorld, type SessionWorld } from "./session-topology.js";

/**
 * Session mode (SESSION_MODE=cookie) in real Chromium against two real gateway processes on one
 * Redis: the cookie's flags, no token readable by page scripts, two tabs (and two replicas)
 * refreshing at once, and sign-out everywhere across browsers and replicas. The emulator's
 * CreateTokenWithIAM count is the upstream calls asserted on.
 */
const dependencies = [chromiumDependency(), await probeSharedRedis()];

let world: SessionWorld;
let gatewayA: GatewayProcess;
let gatewayB: GatewayProcess;

/** A JWT: three base64url segments, the first a JSON header ("eyJ" is `{"` encoded). */
const JWT_SHAPE = /eyJ[\w-]*\.[\w-]+\.[\w-]+/g;
/** The emulator's opaque access and refresh tokens start with these. */
const OPAQUE_TOKEN_SHAPE = /\bao[ar]-[a-z0-9-]+:/g;

describeNeeding(dependencies, "session mode in Chromium, two gateways on one Redis", () => {
  beforeAll(async () => {
    world = await startSessionWorld({ label: "session-mode", gateways: 2 });
    [gatewayA, gatewayB] = world.gateways as [GatewayProcess, GatewayProcess];
  }, 60_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("signs in with a host-only __Host-idc_session cookie that is HttpOnly, Secure, SameSite=Strict and for path /", async () => {
    const { context, page } = await openApp(world);
    const answered = page.waitForResponse((response) => response.url() === gatewayA.url && response.request().method() === "POST");
    dataOf(await signIn(world, page, gatewayA, "cookie-flags"));
    const setCookie = (await (await answered).headerValue("set-cookie")) ?? "";
    // The id replaced before comparing: a failure must not print it.
    expect(setCookie.replace(/^__Host-idc_session=[\w-]{43};/, "__Host-idc_session=<id>;")).toMatch(
      /^__Host-idc_session=<id>; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );

    // Host-only: the browser holds it for 127.0.0.1 exactly (a Domain cookie would read ".127.0.0.1"). Its value is compared by length only.
    const cookie = await sessionCookie(context);
    expect(cookie && { ...cookie, value: cookie.value.length, expires: typeof cookie.expires }).toMatchObject({
      name: SESSION_COOKIE, value: 43, domain: "127.0.0.1", path: "/", httpOnly: true, secure: true, sameSite: "Strict", expires: "number",
    });
    // It lasts until the session's absolute expiry (Max-Age, counted by the browser from its arrival).
    const session = await sessionOf(page, gatewayA);
    expect(session).toMatchObject({ authenticated: true, subject: "cookie-flags", idTokenClaims: { subject: "cookie-flags" } });
    expect(Math.abs(cookie!.expires - Date.parse(session.absoluteExpiresAt!) / 1000)).toBeLessThanOrEqual(2);
    await context.close();
  });

  it("keeps every token from page scripts: document.cookie is empty and no response body holds a token the emulator issued", async () => {
    const { context, page } = await openApp(world);
    const everyResponse: Promise<string>[] = [];
    const record = (response: Response) => void everyResponse.push(response.text().catch(() => ""));
    context.on("response", record);

    const signedIn = dataOf(await signIn(world, page, gatewayA, "no-tokens")).createTokenWithIAM;
    expect(signedIn).toMatchObject({ accessToken: null, refreshToken: null, idToken: null, awsAdditionalDetails: null });
    expect(signedIn.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const refreshed = dataOf(await refreshFrom(page, gatewayB)).refreshSession;
    expect(refreshed).toMatchObject({ authenticated: true, accessToken: null, idToken: null, canRefresh: true });
    expect(await sessionOf(page, gatewayA)).toMatchObject({ authenticated: true, accessToken: null, idToken: null });
    expect(await page.evaluate(() => (globalThis as any).document.cookie as string)).toBe("");
    context.off("response", record);

    const seenByScripts = await bodiesSeenBy(page);
    const seenByBrowser = await Promise.all(everyResponse);
    expect(seenByScripts).toHaveLength(3);
    const issued = world.upstream.issuedTokens();
    // An access, refresh and id token from the sign-in and again from the refresh at least: the scan has something to find.
    expect(issued.length).toBeGreaterThanOrEqual(5);
    for (const bodies of [seenByScripts, seenByBrowser]) {
      const all = bodies.join("\n");
      // Counts, not values: a failure must not print a token.
      expect({
        issuedTokensFound: issued.filter((token) => all.includes(token)).length,
        jwtShaped: all.match(JWT_SHAPE)?.length ?? 0,
        opaqueTokenShaped: all.match(OPAQUE_TOKEN_SHAPE)?.length ?? 0,
        eyJ: all.split("eyJ").length - 1,
      }).toEqual({ issuedTokensFound: 0, jwtShaped: 0, opaqueTokenShaped: 0, eyJ: 0 });
    }
    await context.close();
  });

  it("lets two tabs refresh the session at once: both keep it, and the emulator sees one CreateTokenWithIAM", async () => {
    const { context, page: tab1 } = await openApp(world);
    const tab2 = await openTab(context, world);
    dataOf(await signIn(world, tab1, gatewayA, "two-tabs"));
    const signedInId = await sessionIdIn(context);
    // The upstream answer takes a moment, so the two refreshes overlap in the gateway as well as in the browser.
    await world.emulator.dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 300, count: 1 });
    const before = await world.upstreamCalls();

    const answers = await releasedTogether([tab1, tab2], "RefreshSession", (tab) => refreshFrom(tab, gatewayA));
    expect(answers.map((answer) => dataOf(answer).refreshSession)).toMatchObject([
      { authenticated: true, subject: "two-tabs" }, { authenticated: true, subject: "two-tabs" },
    ]);
    expect((await world.upstreamCalls()) - before).toBe(1);
    expect((await sessionIdIn(context)) !== signedInId).toBe(true);
    for (const tab of [tab1, tab2]) expect(await sessionOf(tab, gatewayA)).toMatchObject({ authenticated: true, subject: "two-tabs" });
    await context.close();
  });

  it("lets tab 1 refresh through gateway A and tab 2 through gateway B at once: both keep the session, with one upstream call", async () => {
    const { context, page: tab1 } = await openApp(world);
    const tab2 = await openTab(context, world);
    dataOf(await signIn(world, tab1, gatewayA, "two-replicas"));
    await world.emulator.dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 300, count: 1 });
    const before = await world.upstreamCalls();

    const replicaOf = [gatewayA, gatewayB];
    const answers = await releasedTogether([tab1, tab2], "RefreshSession", (tab, index) => refreshFrom(tab, replicaOf[index]!));
    expect(answers.map((answer) => dataOf(answer).refreshSession)).toMatchObject([
      { authenticated: true, subject: "two-replicas" }, { authenticated: true, subject: "two-replicas" },
    ]);
    expect((await world.upstreamCalls()) - before).toBe(1);
    expect(await sessionOf(tab1, gatewayB)).toMatchObject({ authenticated: true, subject: "two-replicas" });
    expect(await sessionOf(tab2, gatewayA)).toMatchObject({ authenticated: true, subject: "two-replicas" });
    await context.close();
  });

  it("ends every session of the user on every replica when one tab signs out everywhere, and keeps another user's", async () => {
    // Four browsers: alice signs out in the first; the second and third are alice too (checked through A and
    // through B, each first asked on its replica so neither answer rides on a cookie the other cleared); bob keeps his.
    const alice = await openApp(world);
    const aliceOnA = await openApp(world);
    const aliceOnB = await openApp(world);
    const bob = await openApp(world);
    dataOf(await signIn(world, alice.page, gatewayA, "alice"));
    dataOf(await signIn(world, aliceOnA.page, gatewayB, "alice"));
    dataOf(await signIn(world, aliceOnB.page, gatewayA, "alice"));
    dataOf(await signIn(world, bob.page, gatewayB, "bob"));
    expect(await sessionOf(aliceOnA.page, gatewayA)).toMatchObject({ authenticated: true, subject: "alice" });
    expect(await sessionOf(aliceOnB.page, gatewayB)).toMatchObject({ authenticated: true, subject: "alice" });

    expect(dataOf(await callFromPage(alice.page, gatewayA.url, SIGN_OUT_EVERYWHERE))).toEqual({ signOutEverywhere: true });

    expect(await sessionOf(aliceOnA.page, gatewayA)).toMatchObject({ authenticated: false, subject: null });
    expect(await sessionOf(aliceOnB.page, gatewayB)).toMatchObject({ authenticated: false, subject: null });
    expect(await sessionOf(alice.page, gatewayB)).toMatchObject({ authenticated: false });
    // The gateways cleared the ended sessions' cookies too.
    for (const ended of [alice, aliceOnA, aliceOnB]) expect(await sessionCookie(ended.context)).toBeUndefined();
    expect(await sessionOf(bob.page, gatewayA)).toMatchObject({ authenticated: true, subject: "bob" });
    expect(await sessionOf(bob.page, gatewayB)).toMatchObject({ authenticated: true, subject: "bob" });
    await Promise.all([alice, aliceOnA, aliceOnB, bob].map(({ context }) => context.close()));
  });
});

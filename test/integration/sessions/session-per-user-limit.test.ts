import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, codeOf, credentialsFrom, identityContextInIdToken, REFRESH_SESSION, SESSION, SESSION_COOKIE, SIGN_IN, SIGN_OUT, SIGN_OUT_EVERYWHERE, type Browser } from "./session-support.js";

/**
 * Without Redis, sessions live in an LRU of CACHE_MAX_ENTRIES. A sign-in replaying one JWT-bearer
 * assertion is a cache hit (one unit of the caller's upstream budget), so one caller could make
 * sessions without end and push every other user's idle session out of that LRU (an attacker's review:
 * ~40 minutes of one caller's allowance at the defaults). Now a user holds at most SESSION_MAX_PER_USER
 * sessions (a sign-in past it ends their oldest), and sessions without an ID token, which have no
 * user, are limited per caller (SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER) before their exchange runs.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;

beforeAll(async () => {
  // 40 entries: 13 sessions (a record, an idle clock and a slot each). TRUST_PROXY lets a test be several callers.
  // SESSION_EXPOSE=idToken: a page holds its session's identity context. No grace window: a refreshed session's old id leads nowhere.
  gateway = await startGateway({
    env: {
      SESSION_MODE: "cookie", CACHE_MAX_ENTRIES: "40", SESSION_EXPOSE: "idToken", REFRESH_GRACE_SECONDS: "0", SESSION_MAX_PER_USER: "3", SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER: "3",
      TRUST_PROXY: "true", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
    },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});

let callers = 0;
/** A caller address of its own (TRUST_PROXY=true): the per-caller counters of one test never meet another's. */
const newCaller = () => ({ "x-forwarded-for": `10.9.${Math.floor(++callers / 250)}.${callers % 250}` });

async function signIn(user: Browser, assertion: string, options: { scope?: string[]; caller?: Record<string, string> } = {}) {
  return user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, ...(options.scope ? { scope: options.scope } : {}) } }, options.caller ?? newCaller());
}
/** The identity context the session's ID token showed its page (SESSION_EXPOSE=idToken). */
async function identityContextOf(user: Browser): Promise<string> {
  return identityContextInIdToken(((await user.post(gateway.url, SESSION)).body.data!.session as { idToken: string }).idToken);
}
const isSignedIn = async (user: Browser) => (await user.post(gateway.url, SESSION)).body.data?.session?.authenticated === true;

describe("sessions per user (SESSION_MAX_PER_USER)", () => {
  /** One caller replays one user's assertion `times` times (`afterEach` after each sign-in); another user's idle session must survive it. */
  async function victimSurvives(victimSub: string, times: number, afterEach: (user: Browser, i: number, caller: Record<string, string>) => Promise<void> = async () => undefined) {
    const victim = browser();
    expect((await signIn(victim, await emulator.mintAssertion({ sub: victimSub }))).body.errors).toBeUndefined();
    const replayed = await emulator.mintAssertion({ sub: `${victimSub}-attacker` });
    const caller = newCaller();
    for (let i = 0; i < times; i++) {
      const user = browser();
      expect((await signIn(user, replayed, { caller })).body.errors).toBeUndefined();
      await afterEach(user, i, caller);
    }
    expect(await isSignedIn(victim)).toBe(true);
  }

  it("a user signing in again and again pushes out no other user: 100 sign-ins replaying one assertion leave another user's idle session signed in", async () => {
    await victimSurvives("victim-of-replays", 100);
  });

  it("a user signing in and out everywhere again and again pushes out no other user either", async () => {
    // A session signed out everywhere keeps its slot until a sign-in takes it over: what it left must go then.
    await victimSurvives("victim-of-sign-outs", 60, async (user, i, caller) => {
      if (i % 3 === 2) expect((await user.post(gateway.url, SIGN_OUT_EVERYWHERE, {}, caller)).body.errors).toBeUndefined();
    });
  });

  it("a sign-in past the limit ends that user's oldest session, its identity context with it, and no other", async () => {
    const [first, second, third, fourth, other] = [browser(), browser(), browser(), browser(), browser()];
    expect((await signIn(other, await emulator.mintAssertion({ sub: "limit-other" }))).body.errors).toBeUndefined();
    for (const user of [first, second, third]) {
      expect((await signIn(user, await emulator.mintAssertion({ sub: "limit-user" }))).body.errors).toBeUndefined();
    }
    const firstContext = await identityContextOf(first);
    const firstCookie = first.cookie;
    expect(await credentialsFrom(gateway.url, firstContext, firstCookie)).toBe("ok");
    expect((await signIn(fourth, await emulator.mintAssertion({ sub: "limit-user" }))).body.errors).toBeUndefined();

    expect(await credentialsFrom(gateway.url, firstContext, firstCookie)).toBe("UNAUTHENTICATED");
    expect(await isSignedIn(first)).toBe(false);
    expect(first.cookie).toBeUndefined();
    for (const user of [second, third, fourth, other]) expect(await isSignedIn(user)).toBe(true);
  });

  it("ends the oldest session under the id its last refresh gave it, its identity context with it", async () => {
    const [first, ...later] = [browser(), browser(), browser(), browser()];
    expect((await signIn(first, await emulator.mintAssertion({ sub: "limit-refreshed" }))).body.errors).toBeUndefined();
    const signedInCookie = first.cookie;
    expect((await first.post(gateway.url, REFRESH_SESSION)).body.errors).toBeUndefined();
    expect(first.cookie).not.toBe(signedInCookie);
    const firstContext = await identityContextOf(first);
    const firstCookie = first.cookie;
    expect(await credentialsFrom(gateway.url, firstContext, firstCookie)).toBe("ok");
    for (const user of later) expect((await signIn(user, await emulator.mintAssertion({ sub: "limit-refreshed" }))).body.errors).toBeUndefined();

    expect(await credentialsFrom(gateway.url, firstContext, firstCookie)).toBe("UNAUTHENTICATED");
    expect(await isSignedIn(first)).toBe(false);
    for (const user of later) expect(await isSignedIn(user)).toBe(true);
  });

  it("a signed-out session's place is taken first: the next sign-in past the limit ends none of the live ones", async () => {
    const [first, second, third, fourth] = [browser(), browser(), browser(), browser()];
    for (const user of [first, second, third]) {
      expect((await signIn(user, await emulator.mintAssertion({ sub: "limit-signout" }))).body.errors).toBeUndefined();
    }
    expect((await second.post(gateway.url, SIGN_OUT)).body.data).toEqual({ signOut: true });
    expect((await signIn(fourth, await emulator.mintAssertion({ sub: "limit-signout" }))).body.errors).toBeUndefined();

    for (const user of [first, third, fourth]) expect(await isSignedIn(user)).toBe(true);
  });
});

describe("sessions without an ID token (SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER)", () => {
  it("refuses a caller's sign-in without openid past the limit before its exchange runs, and serves the next caller and openid sign-ins", async () => {
    const caller = newCaller();
    for (let i = 0; i < 3; i++) {
      const user = browser();
      const answer = await signIn(user, await emulator.mintAssertion({ sub: `no-openid-${i}` }), { scope: ["aws"], caller });
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data!.createTokenWithIAM.idToken).toBeNull();
      expect((await user.post(gateway.url, SESSION)).body.data!.session).toMatchObject({ authenticated: true, subject: null });
    }

    const callsBefore = await emulator.createTokenWithIAMCalls();
    const refused = await signIn(browser(), await emulator.mintAssertion({ sub: "no-openid-3" }), { scope: ["aws"], caller });
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.body.errors![0]!.message).toContain("SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=3");
    expect(refused.body.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    expect(await emulator.createTokenWithIAMCalls()).toBe(callsBefore);

    const next = browser();
    const served = await signIn(next, await emulator.mintAssertion({ sub: "no-openid-next" }), { scope: ["aws"], caller: newCaller() });
    expect(served.body.errors).toBeUndefined();
    expect(await isSignedIn(next)).toBe(true);

    // Users behind the refused address who ask for openid sign in; naming no scope, they are told to.
    const colleague = browser();
    const answer = await signIn(colleague, await emulator.mintAssertion({ sub: "no-openid-colleague" }), { scope: ["openid", "aws"], caller });
    expect(answer.body.errors).toBeUndefined();
    expect(await isSignedIn(colleague)).toBe(true);
    const unnamed = await signIn(browser(), await emulator.mintAssertion({ sub: "no-openid-unnamed" }), { caller });
    expect(codeOf(unnamed)).toBe("RATE_LIMITED");
    expect(unnamed.body.errors![0]!.message).toContain("ask for the openid scope");
  });

  it("does not count sessions with an ID token against the caller", async () => {
    const caller = newCaller();
    for (let i = 0; i < 5; i++) {
      const answer = await signIn(browser(), await emulator.mintAssertion({ sub: `with-openid-${i}` }), { caller });
      expect(answer.body.errors).toBeUndefined();
    }
  });
});

describe("sessions that end around a refresh (a store of 16 entries, the default grace window)", () => {
  let small: GatewayProcess;
  let smallEmulator: EmulatorApi;
  beforeAll(async () => {
    small = await startGateway({
      env: {
        SESSION_MODE: "cookie", CACHE_MAX_ENTRIES: "16", SESSION_MAX_PER_USER: "1", TRUST_PROXY: "true",
        RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
      },
    });
    smallEmulator = emulatorApi(small.emulatorUrl!);
  }, 30_000);
  afterAll(async () => {
    await small?.stop();
  });

  /** One caller signs one user in `times` times, `each` ending the session somehow; another user's idle session must survive. */
  async function victimSurvives(victimSub: string, times: number, each: (user: Browser, caller: Record<string, string>) => Promise<void>) {
    const victim = browser();
    const signInOn = (user: Browser, assertion: string, caller: Record<string, string>) =>
      user.post(small.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion } }, caller);
    expect((await signInOn(victim, await smallEmulator.mintAssertion({ sub: victimSub }), newCaller())).body.errors).toBeUndefined();
    const replayed = await smallEmulator.mintAssertion({ sub: `${victimSub}-attacker` });
    const caller = newCaller();
    for (let i = 0; i < times; i++) {
      const user = browser();
      expect((await signInOn(user, replayed, caller)).body.errors).toBeUndefined();
      await each(user, caller);
    }
    expect((await victim.post(small.url, SESSION)).body.data?.session?.authenticated).toBe(true);
  }

  it("signing in, refreshing and signing out again and again pushes out no other user: the refresh's note under the old id goes with the session", async () => {
    await victimSurvives("victim-of-refreshes", 16, async (user, caller) => {
      expect((await user.post(small.url, REFRESH_SESSION, {}, caller)).body.errors).toBeUndefined();
      expect((await user.post(small.url, SIGN_OUT, {}, caller)).body.data).toEqual({ signOut: true });
    });
  });

  it("signing out while the session's refresh runs, again and again, pushes out no other user: the undone refresh leaves nothing", async () => {
    // Each refresh waits for AWS long enough for the sign-out to land first: the refresh then undoes itself.
    await smallEmulator.addFault({ operation: "CreateTokenWithIAM", latencyMs: 150, count: 1_000 });
    try {
      await victimSurvives("victim-of-raced-refreshes", 16, async (user, caller) => {
        const refreshing = user.post(small.url, REFRESH_SESSION, {}, caller);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect((await browser().post(small.url, SIGN_OUT, {}, { ...caller, cookie: `${SESSION_COOKIE}=${user.cookie}` })).body.data).toEqual({ signOut: true });
        expect(codeOf(await refreshing)).toBe("UNAUTHENTICATED");
      });
    } finally {
      await smallEmulator.clearFaults();
    }
  });
});

describe("sessions without an ID token kept in use (SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER over SESSION_ABSOLUTE_LIFETIME_SECONDS)", () => {
  let shortIdle: GatewayProcess;
  beforeAll(async () => {
    shortIdle = await startGateway({
      env: {
        SESSION_MODE: "cookie", SESSION_IDLE_TIMEOUT_SECONDS: "1", SESSION_ABSOLUTE_LIFETIME_SECONDS: "300", SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER: "2",
        TRUST_PROXY: "true", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0",
      },
    });
  }, 30_000);
  afterAll(async () => {
    await shortIdle?.stop();
  });

  it("counts them over the absolute lifetime: a caller keeping its sessions alive past the idle timeout starts no more than the limit", async () => {
    const shortEmulator = emulatorApi(shortIdle.emulatorUrl!);
    const caller = newCaller();
    const start = async (sub: string) => {
      const user = browser();
      const answer = await user.post(shortIdle.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion: await shortEmulator.mintAssertion({ sub }), scope: ["aws"] } }, caller);
      return { user, answer };
    };
    const kept = [await start("kept-0"), await start("kept-1")];
    for (const { answer } of kept) expect(answer.body.errors).toBeUndefined();
    // Three idle timeouts, each session used twice in each: alive throughout, as a caller keeping them would.
    for (let tick = 0; tick < 6; tick++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const { user } of kept) expect((await user.post(shortIdle.url, SESSION)).body.data?.session?.authenticated).toBe(true);
    }
    const refused = (await start("kept-2")).answer;
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.body.errors![0]!.message).toContain("within SESSION_ABSOLUTE_LIFETIME_SECONDS=300");
    expect(refused.body.errors![0]!.extensions!.retryAfterSeconds).toBe(300);
  });
});

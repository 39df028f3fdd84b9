import { describe, expect, it } from "vitest";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { createLogger } from "../../../src/logging/logger.js";
import { unavailableOnFailure } from "../../../src/sessions/session-backing-store.js";
import { createSessionService, createSessionStore, type SessionCookie } from "../../../src/sessions/index.js";
import { createUserSessionSlots } from "../../../src/sessions/user-session-slots.js";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * The store answered the sign-in's probe before the exchange, then failed before the session was
 * written (a Redis failover or blip during the call to AWS). The exchange has spent the caller's
 * grant, so the sign-in writes its session again for a few seconds (sign-in-save-retries.ts) before
 * it gives up; before, the first failure answered SESSION_STORE_UNAVAILABLE and the grant was gone.
 * Within the request: nobody holds the new id yet, so no sign-out or later sign-in can be undone.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const token = (subject: string | undefined, identityContext?: string): IssuedToken => ({
  accessToken: "at", refreshToken: "rt", expiresIn: 3600, issuedAt: Date.now(), clientId: CLIENT_ID,
  ...(subject === undefined ? { scope: ["aws"] } : { idToken: unsignedJwt({ sub: subject }), scope: ["openid"] }),
  ...(identityContext === undefined ? {} : { awsAdditionalDetails: { identityContext } }),
});

function outageHarness(limit: number | undefined) {
  const memory = createMemoryStore();
  // `down`: every call fails, as a Redis that went away does. `downAfterSetIfAbsent`: the next setIfAbsent is applied, then it goes away.
  const outage = { down: false, downAfterSetIfAbsent: false };
  const flaky = new Proxy(memory, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function" || ["close", "health"].includes(String(property))) return value;
      return async (...args: unknown[]) => {
        if (outage.down) throw new Error("connect ECONNREFUSED");
        const result = await (value as (...a: unknown[]) => unknown).apply(target, args);
        if (property === "setIfAbsent" && outage.downAfterSetIfAbsent) {
          outage.downAfterSetIfAbsent = false;
          outage.down = true;
        }
        return result;
      };
    },
  }) as Store;
  const store = unavailableOnFailure(flaky);
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 4) });
  const forgotten: string[] = [];
  const replica = () => createSessionService({
    config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 3_600_000 },
    rotationGraceMs: 30_000,
    sessions: createSessionStore({ store, keyspace }),
    flights: createLocalSingleFlight(),
    logger: createLogger({ level: "silent" }),
    identityContexts: { forget: async (context) => void forgotten.push(context), forgetUser: async () => undefined },
    ...(limit === undefined ? {} : { slots: createUserSessionSlots({ store, keyspace, limit }) }),
  });
  const [one, two] = [replica(), replica()];
  const request = (service: typeof one, sessionId?: string) => {
    const cookies: SessionCookie[] = [];
    return { session: service.forRequest({ sessionId, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh: async () => token("x") } }), cookies };
  };
  const idOf = (cookies: SessionCookie[]) => {
    const cookie = cookies.at(-1);
    return cookie?.kind === "set" ? cookie.sessionId : "";
  };
  const heldSlots = async (subject: string) => {
    let held = 0;
    for (let slot = 0; slot < (limit ?? 0); slot++) if ((await memory.get(keyspace.key("session-slot", CLIENT_ID, subject, String(slot)))) !== null) held++;
    return held;
  };
  const signIn = async (service: typeof one, subject: string, identityContext?: string) => {
    const signingIn = request(service);
    await signingIn.session.signIn(() => token(subject, identityContext), `k-${Math.random()}`);
    return idOf(signingIn.cookies);
  };
  return { outage, one, two, request, idOf, heldSlots, signIn, forgotten };
}

describe("a sign-in whose session the store fails to take after the exchange", () => {
  it.each([
    ["with a user and SESSION_MAX_PER_USER", "alice", 1],
    ["without an ID token", undefined, undefined],
  ] as const)("is written again once the store is back within seconds, and answered (%s)", async (_name, subject, limit) => {
    const { outage, one, two, request, idOf } = outageHarness(limit);
    const signingIn = request(one);
    setTimeout(() => (outage.down = false), 250);
    const answer = await signingIn.session.signIn(() => ((outage.down = true), token(subject)), "k");
    expect(answer.session.subject).toBe(subject ?? null);
    const sessionId = idOf(signingIn.cookies);
    expect(await request(two, sessionId).session.current()).toMatchObject({ subject: subject ?? null });
  });

  it("whose first try took over the user's slot before the store went away ends the session it displaced, not itself", async () => {
    const { outage, one, two, request, idOf } = outageHarness(1);
    const first = request(one);
    await first.session.signIn(() => token("erin"), "a");
    const firstId = idOf(first.cookies);
    // The second sign-in takes the slot over (applied), then the store goes away while it ends the first session,
    // and its cleanup fails too: the slot and its sign-in's id key lead to the new session's own id.
    const second = request(one);
    setTimeout(() => (outage.down = false), 250);
    await second.session.signIn(() => ((outage.downAfterSetIfAbsent = true), token("erin")), "b");
    const secondId = idOf(second.cookies);
    expect(await request(two, secondId).session.current()).toMatchObject({ subject: "erin" });
    expect(await request(two, firstId).session.current()).toBeUndefined();
  });

  it("answers SESSION_STORE_UNAVAILABLE, and sets no cookie, when the store stays away past the retries (~3.9 s)", async () => {
    const { outage, one, request } = outageHarness(1);
    const signingIn = request(one);
    const started = Date.now();
    const outcome = await signingIn.session.signIn(() => ((outage.down = true), token("frank")), "k").then(() => "answered", (error: { code?: string }) => error.code);
    expect(outcome).toBe("SESSION_STORE_UNAVAILABLE");
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_500);
    expect(signingIn.cookies.filter((cookie) => cookie.kind === "set")).toEqual([]);
  }, 10_000);
});

/**
 * Retries of a sign-in's slot placement when the store fails mid-way (sign-in-save-retries.ts), with
 * SESSION_MAX_PER_USER above 1: each try once took a slot of its own, displacing one more session per
 * failed try, and left the first try's slot leading to the session, which the next sign-in then ended;
 * a session a failed try displaced kept its identity context. From an attacker's review: now one holder
 * for every try, which takes its own slot back, and the sessions a failed try was ending are ended by
 * the next.
 */
describe("a sign-in retried after the store failed mid-placement, with the user's other sessions", () => {
  it("displaces only the oldest session, once, though its first try failed after taking that one's slot over (limit 2)", async () => {
    const { outage, one, two, request, idOf, signIn } = outageHarness(2);
    const a = await signIn(one, "u");
    await new Promise((r) => setTimeout(r, 5));
    const b = await signIn(one, "u");
    // S's first try takes over A's slot (applied), then the store goes away while A is ended; the cleanup fails too.
    const s = request(one);
    setTimeout(() => (outage.down = false), 250);
    await s.session.signIn(() => ((outage.downAfterSetIfAbsent = true), token("u")), "s");
    const sId = idOf(s.cookies);
    expect(await request(two, sId).session.current()).toMatchObject({ subject: "u" });
    expect(await request(two, a).session.current()).toBeUndefined();
    // Limit 2, one sign-in past it: only the oldest (A) goes. B must still be live.
    expect(await request(two, b).session.current()).toMatchObject({ subject: "u" });
  });

  it("takes its first try's slot back, not a freed one: one slot for the session, and the next sign-in ends nothing (limit 2)", async () => {
    const { outage, one, two, request, idOf, signIn, heldSlots } = outageHarness(2);
    await signIn(one, "u"); // A, slot 0
    await new Promise((r) => setTimeout(r, 5));
    const b = await signIn(one, "u"); // B, slot 1
    const s = request(one);
    // Store back at 250 ms; B signs out at 270 ms (before the retry at ~300 ms), freeing slot 1.
    setTimeout(() => (outage.down = false), 250);
    setTimeout(() => void request(two, b).session.signOut(), 270);
    await s.session.signIn(() => ((outage.downAfterSetIfAbsent = true), token("u")), "s");
    const sId = idOf(s.cookies);
    expect(await request(two, sId).session.current()).toMatchObject({ subject: "u" });
    // One live session of the user (S): it should hold one slot.
    const held = await heldSlots("u");
    // A new sign-in of the same user, limit 2, one live session: nothing should be displaced.
    const t = await signIn(one, "u");
    expect(await request(two, t).session.current()).toMatchObject({ subject: "u" });
    expect({ held, sAfterT: await request(two, sId).session.current() !== undefined }).toEqual({ held: 1, sAfterT: true });
  });

  it("forgets the identity context of the session its failed first try was ending (limit 1)", async () => {
    const { outage, one, two, request, idOf, signIn, forgotten } = outageHarness(1);
    const a = await signIn(one, "u", "ctx-A");
    const s = request(one);
    setTimeout(() => (outage.down = false), 250);
    await s.session.signIn(() => ((outage.downAfterSetIfAbsent = true), token("u", "ctx-S")), "s");
    expect(await request(two, idOf(s.cookies)).session.current()).toMatchObject({ subject: "u" });
    // A's cookie never comes back here: the retry itself ended A again.
    expect(forgotten).toContain("ctx-A");
    expect(await request(two, a).session.current()).toBeUndefined();
  });
});

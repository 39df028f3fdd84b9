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
 * Nothing is lost: the store answered the sign-in's check before the exchange, then failed before the
 * session was written (Redis went away, or filled up, during the call to AWS). The exchange has spent
 * the caller's grant, so the sign-in is answered its session, which waits in process memory for the
 * store as a refresh's new tokens do: saved on the first request for it once the store is back, or by
 * the retry every second, after which every replica finds it. Before, the sign-in answered
 * SESSION_STORE_UNAVAILABLE and the grant was gone.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const token = (subject: string | undefined): IssuedToken => ({
  accessToken: "at", refreshToken: "rt", expiresIn: 3600, issuedAt: Date.now(), clientId: CLIENT_ID,
  ...(subject === undefined ? { scope: ["aws"] } : { idToken: unsignedJwt({ sub: subject }), scope: ["openid"] }),
});

function outageHarness(limit: number | undefined) {
  const memory = createMemoryStore();
  const outage = { down: false };
  // Every call fails while down, as a Redis that went away does (the backing store maps it to SESSION_STORE_UNAVAILABLE).
  const flaky = new Proxy(memory, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function" || ["close", "health"].includes(String(property))) return value;
      return (...args: unknown[]) => (outage.down ? Promise.reject(new Error("connect ECONNREFUSED")) : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  }) as Store;
  const store = unavailableOnFailure(flaky);
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 4) });
  const replica = () => createSessionService({
    config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 3_600_000 },
    rotationGraceMs: 30_000,
    sessions: createSessionStore({ store, keyspace }),
    flights: createLocalSingleFlight(),
    logger: createLogger({ level: "silent" }),
    ...(limit === undefined ? {} : { slots: createUserSessionSlots({ store, keyspace, limit }) }),
  });
  const [one, two] = [replica(), replica()];
  const request = (service: typeof one, sessionId?: string) => {
    const cookies: SessionCookie[] = [];
    return { session: service.forRequest({ sessionId, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh: async () => token("x") } }), cookies };
  };
  return { outage, one, two, request };
}

describe("a sign-in whose session the store fails to take after the exchange", () => {
  it.each([
    ["with a user and SESSION_MAX_PER_USER", "alice", 1],
    ["without an ID token", undefined, undefined],
  ] as const)("is answered its session (%s), saved once the store is back, on every replica", async (_name, subject, limit) => {
    const { outage, one, two, request } = outageHarness(limit);
    const signingIn = request(one);
    const answer = await signingIn.session.signIn(() => ((outage.down = true), token(subject)), "k");
    expect(answer.session.subject).toBe(subject ?? null);
    const cookie = signingIn.cookies.at(-1);
    expect(cookie?.kind).toBe("set");
    const sessionId = cookie?.kind === "set" ? cookie.sessionId : "";

    // While the store is down, a request with the cookie is told to retry (not signed out).
    await expect(request(one, sessionId).session.current()).rejects.toMatchObject({ code: "SESSION_STORE_UNAVAILABLE" });
    outage.down = false;
    // Back: the first request on this replica saves it; the retry (every second) would have too.
    expect(await request(one, sessionId).session.current()).toMatchObject({ subject: subject ?? null });
    expect(await request(two, sessionId).session.current()).toMatchObject({ subject: subject ?? null });
  });

  it("is saved by the retry alone: another replica finds it a second after the store is back", async () => {
    const { outage, one, two, request } = outageHarness(1);
    const signingIn = request(one);
    await signingIn.session.signIn(() => ((outage.down = true), token("bob")), "k");
    const cookie = signingIn.cookies.at(-1);
    const sessionId = cookie?.kind === "set" ? cookie.sessionId : "";
    outage.down = false;
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(await request(two, sessionId).session.current()).toMatchObject({ subject: "bob" });
  });
});

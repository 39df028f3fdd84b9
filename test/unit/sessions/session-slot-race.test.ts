import { describe, expect, it } from "vitest";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createSessionService, createSessionStore, type SessionCookie } from "../../../src/sessions/index.js";
import { createUserSessionSlots, type UserSessionSlots } from "../../../src/sessions/user-session-slots.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * SESSION_MAX_PER_USER: a sign-in takes its slot before its session is written, and a sign-in of the
 * same user at that very moment (another device, another replica) may take it over in between. The
 * session then claims again once, under a new id (the other sign-in ended and marked the first), and
 * answers RATE_LIMITED only when that fails too: the exchange has spent its grant by then.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const token = (): IssuedToken => ({
  accessToken: "at", refreshToken: "rt", idToken: unsignedJwt({ sub: "alice" }), expiresIn: 3600, issuedAt: Date.now(), clientId: CLIENT_ID, scope: ["openid"],
});

/** A service whose slots answer "taken by another sign-in" to the first `lost` checks after a session is written. */
function serviceLosingSlots(lost: number) {
  const store = createMemoryStore();
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });
  const real = createUserSessionSlots({ store, keyspace, limit: 2 });
  let checks = 0;
  const slots: UserSessionSlots = {
    ...real,
    limit: real.limit,
    // The first lookups (each sign-in's check after its write) see the slot taken by a sign-in at the same moment.
    holds: async (user, slot, lineage) => (checks++ < lost ? false : real.holds(user, slot, lineage)),
  };
  const service = createSessionService({
    config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 3_600_000 },
    rotationGraceMs: 30_000,
    sessions: createSessionStore({ store, keyspace }),
    flights: createLocalSingleFlight(),
    logger: createLogger({ level: "silent" }),
    slots,
  });
  const signIn = async () => {
    const cookies: SessionCookie[] = [];
    const request = service.forRequest({ sessionId: undefined, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh: async () => token() } });
    const answer = await request.signIn(() => token(), "alice").then((value) => value, (error: unknown) => error);
    return { answer, cookies };
  };
  const current = (sessionId: string) =>
    service.forRequest({ sessionId, setCookie: () => undefined, tokens: { refresh: async () => token() } }).current();
  return { signIn, current };
}

describe("a sign-in whose slot is taken before its session is written", () => {
  it("claims again under a new id and signs in: the cookie names a live session", async () => {
    const { signIn, current } = serviceLosingSlots(1);
    const { answer, cookies } = await signIn();
    expect(answer).toMatchObject({ session: { subject: "alice" } });
    expect(cookies).toHaveLength(1);
    const cookie = cookies[0]!;
    expect(cookie.kind).toBe("set");
    expect(await current((cookie as { sessionId: string }).sessionId)).toMatchObject({ subject: "alice" });
  });

  it("answers RATE_LIMITED naming the limit when the second claim is taken too, setting no cookie", async () => {
    const { signIn } = serviceLosingSlots(2);
    const { answer, cookies } = await signIn();
    expect(answer).toMatchObject({ code: "RATE_LIMITED", message: expect.stringContaining("SESSION_MAX_PER_USER=2") });
    expect(cookies).toEqual([]);
  });
});

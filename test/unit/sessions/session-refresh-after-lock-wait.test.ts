import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import type { SingleFlight } from "../../../src/coordination/single-flight.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createSessionService, createSessionStore, type SessionCookie, type SessionService } from "../../../src/sessions/index.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * A session refresh that leads its flight only after waiting for another replica's lock, freed with no
 * result (that replica refreshed the session but Redis failed it: it saved the rotation later, from
 * memory; its hand-off never landed). The session this request read before the wait has been rotated
 * since: refreshing its refresh token again (spent at AWS) answered INVALID_GRANT, which ended the
 * session, removed the note leading to the new one and cleared the browser's cookie (a review). The
 * flight now reads the session again with its lock, and hands the request the session it became.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const logger = createLogger({ level: "silent" });

describe("a session refresh that leads only after waiting for another replica's lock", () => {
  it("gets the session the other replica rotated it into meanwhile, not INVALID_GRANT: the user stays signed in", async () => {
    const store = createMemoryStore();
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });
    // AWS: a refresh token is spent once used.
    const spent = new Set<string>();
    const issued = (): IssuedToken => ({
      accessToken: `at-${randomBytes(6).toString("hex")}`, refreshToken: `rt-${randomBytes(6).toString("hex")}`, idToken: unsignedJwt({ sub: "alice" }),
      expiresIn: 3600, issuedAt: Date.now(), clientId: CLIENT_ID, scope: ["openid"],
    });
    const refresh = async ({ refreshToken }: { refreshToken: string }) => {
      if (spent.has(refreshToken)) throw new GatewayError("INVALID_GRANT");
      spent.add(refreshToken);
      return issued();
    };
    // Replica two's flight: its call waits (for the lock) until the test lets it lead.
    let lead!: () => void;
    const lockFreed = new Promise<void>((resolve) => { lead = resolve; });
    const local = createLocalSingleFlight();
    const waitingFlight: SingleFlight = { run: async (key, fn, codec, steps) => (await lockFreed, local.run(key, fn, codec, steps)) };
    const replica = (flights: SingleFlight): SessionService => createSessionService({
      config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 8 * 3_600_000 }, rotationGraceMs: 30_000,
      sessions: createSessionStore({ store, keyspace }), flights, logger,
    });
    const one = replica(createLocalSingleFlight());
    const two = replica(waitingFlight);
    const request = (sessions: SessionService, sessionId?: string) => {
      const cookies: SessionCookie[] = [];
      return { session: sessions.forRequest({ sessionId, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh } }), cookies };
    };

    const signIn = request(one);
    await signIn.session.signIn(() => issued(), "sign-in");
    const id = (signIn.cookies.at(-1) as { sessionId: string }).sessionId;

    // Replica two reads the session, then waits for the lock; replica one rotates the session meanwhile.
    const late = request(two, id);
    const lateRefresh = late.session.refresh().then(() => "ok", (error: unknown) => (error instanceof GatewayError ? error.code : String(error)));
    await new Promise((resolve) => setImmediate(resolve));
    const first = request(one, id);
    await first.session.refresh();
    const rotated = (first.cookies.at(-1) as { sessionId: string }).sessionId;
    lead();

    expect(await lateRefresh).toBe("ok");
    expect(late.cookies.at(-1)).toMatchObject({ kind: "set", sessionId: rotated });
    // Still signed in, under the old cookie (its note) and the new one.
    for (const held of [id, rotated]) expect(await request(one, held).session.current()).toMatchObject({ subject: "alice" });
    expect(spent.size).toBe(1);
  });
});

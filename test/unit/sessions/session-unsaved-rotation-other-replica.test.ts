import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSingleFlight } from "../../../src/coordination/single-flight.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { unavailableOnFailure } from "../../../src/sessions/session-backing-store.js";
import { createSessionService, createSessionStore, type SessionCookie, type SessionService } from "../../../src/sessions/index.js";
import { createKeyspace, createMemoryStore, StoreUnavailableError, type Store } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * Replica one refreshes a session while Redis stops taking writes (maxmemory, noeviction): AWS rotated
 * the refresh token, and the rotation waits in replica one's memory (unsaved-rotations.ts), saved at its
 * next retry once Redis takes writes. Its flight released the session's lock at once (Redis at
 * maxmemory still deletes). Redis took writes again; before that retry, the browser's retry of
 * refreshSession (SESSION_STORE_UNAVAILABLE is retryable) reached replica two, which read the session
 * as stored, presented the spent refresh token (replica one's rotation record and late answer were in
 * its memory too), got INVALID_GRANT from AWS and ended the session: cookie cleared, and replica one's
 * rotation, saved after, found the session gone and was dropped. The user was signed out by a fault (a
 * review). The unsaved rotation now keeps its flight's lock until it is saved: replica two waits, then
 * gets the refreshed session.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const logger = createLogger({ level: "silent" });

describe("a session refresh that replica one could not save, retried on replica two before replica one saved it", () => {
  it("keeps the user signed in: the old cookie leads to the refreshed session once replica one saves it", async () => {
    const memory = createMemoryStore();
    let refuseWrites = false;
    const refusing = (write: (...args: never[]) => Promise<unknown>) => (...args: never[]) => (refuseWrites ? Promise.reject(new StoreUnavailableError("OOM command not allowed", "writes-refused")) : write(...args));
    // Replica two's lock attempt that found the lock taken: it follows (waits for the holder).
    let following!: () => void;
    const secondFollows = new Promise<void>((resolve) => {
      following = resolve;
    });
    // Redis at maxmemory: SET and SET NX refused; reads, DEL and PEXPIRE (the lock's release and extension) still work.
    const store: Store = unavailableOnFailure({
      ...memory,
      kind: "redis",
      set: refusing(memory.set as never) as Store["set"],
      setIfAbsent: (async (key: string, value: Buffer, ttlMs: number) => {
        if (refuseWrites) throw new StoreUnavailableError("OOM command not allowed", "writes-refused");
        const taken = await memory.setIfAbsent(key, value, ttlMs);
        if (!taken) following();
        return taken;
      }) as Store["setIfAbsent"],
    });
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 5) });
    const spent = new Set<string>();
    const issued = (): IssuedToken => ({
      accessToken: `at-${randomBytes(6).toString("hex")}`, refreshToken: `rt-${randomBytes(6).toString("hex")}`, idToken: unsignedJwt({ sub: "alice" }),
      expiresIn: 3600, issuedAt: Date.now(), clientId: CLIENT_ID, scope: ["openid"],
    });
    let onRefresh = () => {};
    const refresh = async ({ refreshToken }: { refreshToken: string }) => {
      if (spent.has(refreshToken)) throw new GatewayError("INVALID_GRANT");
      spent.add(refreshToken);
      onRefresh();
      return issued();
    };
    const replica = (): SessionService => createSessionService({
      config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 8 * 3_600_000 }, rotationGraceMs: 30_000,
      sessions: createSessionStore({ store, keyspace }), logger,
      // Each replica its own flights over the shared store, as on Redis.
      flights: createSingleFlight({ store, keyspace, lockTtlMs: 30_000, waitTimeoutMs: 60_000, logger }),
    });
    const one = replica();
    const two = replica();
    const request = (sessions: SessionService, sessionId?: string) => {
      const cookies: SessionCookie[] = [];
      return { session: sessions.forRequest({ sessionId, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh } }), cookies };
    };
    const outcome = (answer: Promise<unknown>) => answer.then(() => "ok", (error: unknown) => (error instanceof GatewayError ? error.code : String(error)));

    const signIn = request(one);
    await signIn.session.signIn(() => issued(), "sign-in");
    const id = (signIn.cookies.at(-1) as { sessionId: string }).sessionId;

    // Redis refuses writes while AWS answers replica one's refresh.
    onRefresh = () => void (refuseWrites = true);
    expect(await outcome(request(one, id).session.refresh())).toBe("SESSION_STORE_UNAVAILABLE");
    onRefresh = () => {};
    refuseWrites = false;

    // The browser's retry reaches replica two before replica one's next save.
    const retry = request(two, id);
    const retried = outcome(retry.session.refresh());
    await Promise.race([secondFollows, retried]);

    // Replica one saves its rotation (a request for the old id reaches it).
    await outcome(request(one, id).session.current());
    expect(await retried).toBe("ok");
    expect(retry.cookies.at(-1)).toMatchObject({ kind: "set" });
    const after = request(two, (retry.cookies.at(-1) as { sessionId: string }).sessionId);
    expect(await after.session.current()).toMatchObject({ subject: "alice" });
    expect(await request(two, id).session.current()).toMatchObject({ subject: "alice" });
    expect(spent.size).toBe(1);
  });
});

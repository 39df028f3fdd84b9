import { describe, expect, it } from "vitest";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createSessionService, createSessionStore, type SessionCookie } from "../../../src/sessions/index.js";
import { createUserSessionSlots } from "../../../src/sessions/user-session-slots.js";
import { slotSessionService } from "./slot-service-fixture.js";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * A take-over (deleteIfEquals) or a seize (swap) removes the displaced sign-in from its slot before it
 * ends its session. A lookup of that session in between (its own page's request, its sign-out, another
 * sign-in's liveness check) finds it displaced and ends it as a sign-out would: its identity context is
 * forgotten, whoever gets there first (a review found the lookup only removed the record, and the
 * displacer then found nothing to end: the displaced session's identity context kept making AWS
 * credentials). Hooks on a memory store put the lookups inside that window, every time.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
let minted = 0;
const token = (): IssuedToken => ({
  accessToken: `at-${++minted}`, refreshToken: `rt-${minted}`, idToken: unsignedJwt({ sub: "alice" }), expiresIn: 3600, issuedAt: Date.now(),
  clientId: CLIENT_ID, scope: ["openid"], awsAdditionalDetails: { identityContext: `context-${minted}` },
});

function harness(limit: number) {
  const memory = createMemoryStore();
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 9) });
  let onSlotRemoved: (() => Promise<void>) | undefined;
  let onSwap: (() => Promise<void>) | undefined;
  let racer: (() => Promise<void>) | undefined;
  let inRace = false;
  const fire = async () => {
    const hook = onSlotRemoved;
    onSlotRemoved = undefined;
    await hook?.();
  };
  const store: Store = {
    ...memory,
    deleteIfEquals: async (key, expected) => {
      const removed = await memory.deleteIfEquals(key, expected);
      if (removed && key.includes(":session-slot:")) await fire();
      return removed;
    },
    swap: async (key, value, ttlMs) => {
      const was = await memory.swap(key, value, ttlMs);
      if (key.includes(":session-slot:") && onSwap !== undefined) {
        const hook = onSwap;
        onSwap = undefined;
        await hook();
      }
      return was;
    },
    set: async (key, value, ttlMs) => {
      await memory.set(key, value, ttlMs);
      if (!key.includes(":session:") || inRace || racer === undefined) return;
      inRace = true;
      await racer().finally(() => (inRace = false));
    },
  };
  const { service, forgotten, counts: metrics } = slotSessionService(store, keyspace, limit);
  const request = (sessionId?: string) => {
    const cookies: SessionCookie[] = [];
    const r = service.forRequest({ sessionId, setCookie: (c) => cookies.push(c), tokens: { refresh: async () => token() } });
    return { r, cookies };
  };
  async function signIn() {
    const issued = token();
    const { r, cookies } = request();
    await r.signIn(() => issued, `k-${minted}`);
    const c = cookies.at(-1);
    return { sessionId: c?.kind === "set" ? c.sessionId : undefined, context: issued.awsAdditionalDetails!.identityContext! };
  }
  return { signIn, request, forgotten, metrics, setHook: (h: () => Promise<void>) => (onSlotRemoved = h),
    setSwapHook: (h: () => Promise<void>) => (onSwap = h), setRacer: (h: () => Promise<void>) => (racer = h) };
}

describe("a lookup inside the displacement window ends the displaced session as a sign-out would", () => {
  it("take-over: the displaced session's own request between its removal from the slot and its end forgets its identity context, counted once", async () => {
    const h = harness(1);
    const old = await h.signIn();
    // Fill the slot with a sign-in older than JUST_SIGNED_IN does not matter: the take-over path runs whenever the slot is full.
    h.setHook(async () => {
      await h.request(old.sessionId).r.current(); // the old browser polls Query.session
    });
    await h.signIn();
    expect(h.forgotten, "identity context of the displaced session").toContain(old.context);
    expect(h.metrics.displaced).toBe(1);
  });

  it("take-over with no lookup in between: the displacer ends the session, its identity context forgotten, counted once", async () => {
    const h = harness(1);
    const old = await h.signIn();
    const next = await h.signIn();
    expect(h.forgotten).toEqual([old.context]);
    expect(h.metrics.displaced).toBe(1);
    expect(await h.request(old.sessionId).r.current()).toBeUndefined();
    expect(await h.request(next.sessionId).r.current()).toMatchObject({ subject: "alice" });
    expect(h.metrics.displaced).toBe(1);
  });

  it("take-over: the displaced user's sign-out inside the window forgets its identity context (answered false: it was already displaced)", async () => {
    const h = harness(1);
    const old = await h.signIn();
    let signedOut: boolean | undefined;
    h.setHook(async () => {
      signedOut = await h.request(old.sessionId).r.signOut();
    });
    await h.signIn();
    expect(signedOut).toBe(false);
    expect(h.forgotten).toContain(old.context);
  });

  it("seize: a lookup between the swap and the end forgets the replaced session's identity context", async () => {
    const h = harness(1);
    // Each time the first sign-in writes its record to take the slot, another sign-in of alice signs in first (3 rounds lost -> seize).
    const racers: Array<{ sessionId?: string; context: string }> = [];
    h.setRacer(async () => {
      if (racers.length < 3) racers.push(await h.signIn());
    });
    h.setSwapHook(async () => {
      // The last racer (the slot's holder the swap just replaced) is looked up by its own browser in the window.
      await h.request(racers.at(-1)!.sessionId).r.current();
    });
    const first = await h.signIn();
    expect(racers).toHaveLength(3);
    expect(first.sessionId).toBeDefined();
    // The racers were all displaced: each one's identity context must be forgotten.
    for (const racer of racers) expect(h.forgotten, `racer ${racer.context}`).toContain(racer.context);
  });
});

describe("the store failing between the record write and the slot claim", () => {
  it("the sign-in answers the store's error and leaves no session record behind (never answered, nobody could use it)", async () => {
    const memory = createMemoryStore();
    const keyspace = createKeyspace({ secret: Buffer.alloc(32, 9) });
    let failSlots = false;
    const written = new Set<string>();
    const store: Store = {
      ...memory,
      set: async (key, value, ttlMs) => (written.add(key), memory.set(key, value, ttlMs)),
      setIfAbsent: async (key, value, ttlMs) => {
        if (failSlots && key.includes(":session-slot:")) throw new Error("redis went away");
        return memory.setIfAbsent(key, value, ttlMs);
      },
    };
    const service = createSessionService({
      config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 3_600_000 }, rotationGraceMs: 30_000,
      sessions: createSessionStore({ store, keyspace }), flights: createLocalSingleFlight(), logger: createLogger({ level: "silent" }),
      slots: createUserSessionSlots({ store, keyspace, limit: 1 }),
    });
    failSlots = true;
    let exchanged = false;
    const r = service.forRequest({ sessionId: undefined, setCookie: () => undefined, tokens: { refresh: async () => token() } });
    const outcome = await r.signIn(() => ((exchanged = true), token()), "k").then(() => "answered", (e: unknown) => String(e));
    expect(exchanged).toBe(true);
    let records = 0;
    for (const key of written) if (key.includes(":session:") && (await memory.get(key)) !== null) records++;
    expect(outcome).toContain("redis went away");
    expect(records).toBe(0);
  });
});

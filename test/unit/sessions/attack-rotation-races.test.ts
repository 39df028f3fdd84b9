import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createSessionService, createSessionStore, type SessionCookie, type SessionService } from "../../../src/sessions/index.js";
import { createKeyspace, createMemoryStore, type Keyspace, type Store } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * An attacker's (and a two-tab user's) view of session rotation: a sign-out must stay a sign-out
 * whatever refresh is in flight, one operation must keep the session it just got, and a rotation
 * must not leave per-id state behind for a whole idle timeout.
 */

const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const logger = createLogger({ level: "silent" });
const clock = { now: Date.UTC(2026, 11, 1, 12) };

function issuedToken(): IssuedToken {
  return {
    accessToken: `at-${randomBytes(6).toString("hex")}`,
    refreshToken: `rt-${randomBytes(6).toString("hex")}`,
    idToken: unsignedJwt({ sub: "alice" }),
    expiresIn: 3600,
    issuedAt: clock.now,
    clientId: CLIENT_ID,
    scope: ["openid"],
  };
}

/** A refresh the test answers when it chooses: the window in which another tab acts. */
function deferredRefresh() {
  let answer!: (token: IssuedToken) => void;
  let started!: () => void;
  const running = new Promise<void>((resolve) => { started = resolve; });
  const result = new Promise<IssuedToken>((resolve) => { answer = resolve; });
  return { running, answer, call: () => { started(); return result; } };
}

let store: Store;
let keyspace: Keyspace;
let nextRefresh: () => Promise<IssuedToken>;

function service(rotationGraceMs: number): SessionService {
  return createSessionService({
    config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 8 * 3_600_000 },
    rotationGraceMs,
    sessions: createSessionStore({ store, keyspace }),
    flights: createLocalSingleFlight(),
    logger,
    now: () => clock.now,
  });
}

/** One request (one HTTP request: one cookie in, the last cookie instruction out). */
function request(sessions: SessionService, sessionId?: string) {
  const cookies: SessionCookie[] = [];
  const session = sessions.forRequest({ sessionId, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh: () => nextRefresh() } });
  const lastCookie = () => cookies.at(-1);
  const heldId = () => {
    const cookie = lastCookie();
    return cookie?.kind === "set" ? cookie.sessionId : undefined;
  };
  return { session, lastCookie, heldId };
}

async function signedIn(sessions: SessionService): Promise<string> {
  const first = request(sessions);
  await first.session.signIn(() => issuedToken(), "another exchange");
  return first.heldId()!;
}

beforeEach(() => {
  clock.now = Date.UTC(2026, 11, 1, 12);
  store = createMemoryStore();
  keyspace = createKeyspace({ secret: Buffer.alloc(32, 9) });
  nextRefresh = async () => issuedToken();
});

/** A signed-in session whose refresh (tab A's) is waiting for AWS's answer. */
async function refreshWaitingForAws(graceMs: number) {
  const sessions = service(graceMs);
  const id = await signedIn(sessions);
  const refreshing = deferredRefresh();
  nextRefresh = refreshing.call;
  const tabA = request(sessions, id);
  const refresh = tabA.session.refresh().catch((error: unknown) => error);
  await refreshing.running;
  return { sessions, id, refreshing, tabA, refresh };
}

describe.each([30_000, 0])("with a rotation grace of %i ms", (graceMs) => {
  it("a sign-out while another tab's refresh waits for AWS stays a sign-out: the refresh's successor never lives", async () => {
    const { sessions, id, refreshing, tabA, refresh } = await refreshWaitingForAws(graceMs);

    const tabB = request(sessions, id);
    expect(await tabB.session.signOut()).toBe(true);
    expect(tabB.lastCookie()).toEqual({ kind: "clear" });

    refreshing.answer(issuedToken());
    await refresh;
    // Whatever tab A's response says, no id it could hold leads to a session any more.
    const successor = tabA.heldId();
    for (const held of [id, successor]) {
      if (held !== undefined) expect(await request(sessions, held).session.current()).toBeUndefined();
    }
    expect(tabA.lastCookie()).toEqual({ kind: "clear" });
  });

  it("a sign-in replacing a session while that session's refresh runs leaves only the new sign-in alive", async () => {
    const { sessions, id, refreshing, tabA, refresh } = await refreshWaitingForAws(graceMs);

    const tabB = request(sessions, id);
    await tabB.session.signIn(() => issuedToken(), "another exchange");
    refreshing.answer(issuedToken());
    await refresh;
    const successor = tabA.heldId();
    if (successor !== undefined) expect(await request(sessions, successor).session.current()).toBeUndefined();
    expect(await request(sessions, tabB.heldId()).session.current()).toBeDefined();
  });

  it("one operation that refreshes and then reads or ends its session acts on the refreshed session", async () => {
    const sessions = service(graceMs);
    const id = await signedIn(sessions);
    const operation = request(sessions, id);
    await operation.session.refresh();
    const successor = operation.heldId()!;
    // `mutation { refreshSession { … } }` then `session`-reading fields: still signed in, cookie on the successor.
    expect(await operation.session.current()).toBeDefined();
    expect(operation.lastCookie()).toMatchObject({ kind: "set", sessionId: successor });
    // `… signOut` in the same mutation ends the refreshed session, not only the id the cookie carried.
    expect(await operation.session.signOut()).toBe(true);
    expect(await request(sessions, successor).session.current()).toBeUndefined();
  });
});

it("one operation that signs in and then signs out leaves no live session behind", async () => {
  const sessions = service(30_000);
  const operation = request(sessions);
  await operation.session.signIn(() => issuedToken(), "another exchange");
  const started = operation.heldId()!;
  expect(await operation.session.signOut()).toBe(true);
  expect(await request(sessions, started).session.current()).toBeUndefined();
});

it("a rotation drops the old id's idle clock: a refresh storm leaves one forwarding note per id, not an idle timeout of state", async () => {
  const sessions = service(30_000);
  const id = await signedIn(sessions);
  await request(sessions, id).session.refresh();
  expect(await store.get(keyspace.key("session-seen", id))).toBeNull();
});

it("a refresh the sign-out undid answers UNAUTHENTICATED, not a session", async () => {
  const { sessions, id, refreshing, refresh } = await refreshWaitingForAws(30_000);
  await request(sessions, id).session.signOut();
  refreshing.answer(issuedToken());
  const outcome = await refresh;
  expect(outcome).toBeInstanceOf(GatewayError);
  expect((outcome as GatewayError).code).toBe("UNAUTHENTICATED");
});

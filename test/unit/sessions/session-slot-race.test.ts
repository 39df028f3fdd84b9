import { describe, expect, it } from "vitest";
import type { SessionCookie } from "../../../src/sessions/index.js";
import { slotSessionService } from "./slot-service-fixture.js";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import type { IssuedToken } from "../../../src/tokens/token.types.js";
import { unsignedJwt } from "../../support/unsigned-jwt.js";

/**
 * SESSION_MAX_PER_USER with sign-ins of one user at the same moment (another device, another replica,
 * a double-click with limit 1): a sign-in takes its slot after the exchange spent its grant (an
 * authorization code, a refresh token, an assertion), so each is answered a session, never RATE_LIMITED;
 * the bound holds afterwards (the last sign-ins win), and the sessions displaced leave nothing behind.
 */
const CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
let minted = 0;
const token = (): IssuedToken => ({
  accessToken: `at-${++minted}`, refreshToken: `rt-${minted}`, idToken: unsignedJwt({ sub: "alice" }), expiresIn: 3600, issuedAt: Date.now(),
  clientId: CLIENT_ID, scope: ["openid"], awsAdditionalDetails: { identityContext: `context-${minted}` },
});
type SignedIn = { answer: unknown; sessionId: string | undefined; identityContext: string };

/**
 * A session service with real slots on a memory store. `racing(signIn)` runs inside each write of a
 * session record by a sign-in not started by it, once the record is stored: another sign-in of the same
 * user at that very moment (its writes do not start more).
 */
function harness(limit: number, racing: (signIn: () => Promise<SignedIn>) => Promise<void> = async () => undefined) {
  const memory = createMemoryStore();
  const keyspace = createKeyspace({ secret: Buffer.alloc(32, 9) });
  const written = new Set<string>();
  let inRace = false;
  const store: Store = {
    ...memory,
    set: async (key, value, ttlMs) => {
      written.add(key);
      await memory.set(key, value, ttlMs);
      if (!key.includes(":session:") || inRace) return;
      inRace = true;
      await racing(signIn).finally(() => (inRace = false));
    },
    setIfAbsent: async (key, value, ttlMs) => (written.add(key), memory.setIfAbsent(key, value, ttlMs)),
    swap: async (key, value, ttlMs) => (written.add(key), memory.swap(key, value, ttlMs)),
  };
  const { service, forgotten } = slotSessionService(store, keyspace, limit);
  async function signIn(): Promise<SignedIn> {
    const cookies: SessionCookie[] = [];
    const issued = token();
    const request = service.forRequest({ sessionId: undefined, setCookie: (cookie) => cookies.push(cookie), tokens: { refresh: async () => token() } });
    const answer = await request.signIn(() => issued, `alice-${minted}`).then((value) => value, (error: unknown) => error);
    const cookie = cookies.at(-1);
    return { answer, sessionId: cookie?.kind === "set" ? cookie.sessionId : undefined, identityContext: issued.awsAdditionalDetails!.identityContext! };
  }
  const isLive = async ({ sessionId }: SignedIn) =>
    sessionId !== undefined && (await service.forRequest({ sessionId, setCookie: () => undefined, tokens: { refresh: async () => token() } }).current()) !== undefined;
  /** Keys of `purpose` written so far that the store still holds. */
  const held = async (purpose: string) => {
    let count = 0;
    for (const key of written) if (key.includes(`:${purpose}:`) && (await memory.get(key)) !== null) count++;
    return count;
  };
  /**
   * Every sign-in answered a session and set its cookie; the store holds `limit` sessions (and nothing of
   * the others), and `limit` of the cookies lead to one (`winners`, when given). Answers those.
   */
  async function expectSettled(signIns: SignedIn[], limit: number, winners?: SignedIn[]): Promise<SignedIn[]> {
    for (const { answer, sessionId } of signIns) {
      expect(answer).toMatchObject({ session: { subject: "alice" }, token: { accessToken: expect.stringMatching(/^at-/) } });
      expect(sessionId).toBeDefined();
    }
    // Before any lookup (which removes a displaced session it finds): one record, one id key and one slot per live session.
    for (const purpose of ["session", "session-lineage", "session-slot"]) expect(await held(purpose)).toBe(limit);
    const live: SignedIn[] = [];
    for (const signedIn of signIns) if (await isLive(signedIn)) live.push(signedIn);
    expect(live).toHaveLength(limit);
    if (winners !== undefined) expect(live).toEqual(winners);
    // Each displaced session ended as a sign-out would: its identity context forgotten; a live one's kept.
    expect(new Set(forgotten)).toEqual(new Set(signIns.filter((signedIn) => !live.includes(signedIn)).map(({ identityContext }) => identityContext)));
    return live;
  }
  return { signIn, expectSettled };
}

describe("a sign-in whose slot another sign-in of the same user takes while it claims", () => {
  it("takes it over, once its session is written: the newer sign-in holds the slot, the other is displaced", async () => {
    const others: SignedIn[] = [];
    const { signIn, expectSettled } = harness(1, async (racer) => {
      if (others.length === 0) others.push(await racer());
    });
    const first = await signIn();
    await expectSettled([first, ...others], 1, [first]);
  });

  it("seizes a slot when sign-ins take every one it tries, round after round: answered a live session, never RATE_LIMITED", async () => {
    const others: SignedIn[] = [];
    // Each time the first sign-in writes its session to take a slot, another signs in first (three rounds of claims).
    const { signIn, expectSettled } = harness(1, async (racer) => {
      if (others.length < 3) others.push(await racer());
    });
    const first = await signIn();
    expect(others).toHaveLength(3);
    await expectSettled([first, ...others], 1, [first]);
  });

  it.each([1, 2])("limit %i, six sign-ins at once: each is answered a session, the limit's number stay live, the rest leave nothing", async (limit) => {
    const { signIn, expectSettled } = harness(limit);
    await expectSettled(await Promise.all(Array.from({ length: 6 }, () => signIn())), limit);
  });
});

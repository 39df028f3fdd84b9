import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { browser, REFRESH_SESSION, SESSION, SIGN_IN, type Browser } from "./session-support.js";

/**
 * A refreshSession rotates the session id; the browser learns the new one from the answer's Set-Cookie.
 * When that answer never arrives (a dropped connection, a page put to sleep mid-request), the browser
 * holds only the old cookie, and the refresh token behind it is spent. The old id used to lead to the
 * new session only for the grace window (REFRESH_GRACE_SECONDS): a browser back after it was signed out
 * although its session lived on, orphaned. Now the old id forwards until the browser uses the new one,
 * and from that use only for the grace window.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;
const GRACE_MS = 1_000;

beforeAll(async () => {
  gateway = await startGateway({
    env: { SESSION_MODE: "cookie", REFRESH_GRACE_SECONDS: String(GRACE_MS / 1000), RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" },
  });
  emulator = emulatorApi(gateway.emulatorUrl!);
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});

const pastGrace = () => new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));
const sessionOf = async (user: Browser) => (await user.post(gateway.url, SESSION)).body.data!.session as { authenticated: boolean; subject: string | null };

async function signedIn(sub: string): Promise<Browser> {
  const user = browser();
  const answer = await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion: await emulator.mintAssertion({ sub }) } });
  expect(answer.body.errors).toBeUndefined();
  return user;
}

/** The refresh ran, but its answer (and its Set-Cookie) never reached `user`. */
async function refreshWithLostAnswer(user: Browser): Promise<string> {
  const lost = browser();
  lost.cookie = user.cookie;
  const answer = await lost.post(gateway.url, REFRESH_SESSION);
  expect(answer.body.data!.refreshSession.authenticated).toBe(true);
  expect(lost.cookie).not.toBe(user.cookie);
  return lost.cookie!;
}

describe("a refresh whose answer never reached the browser", () => {
  it("leaves the old cookie leading to the new session after the grace window, and the browser catches up", async () => {
    const user = await signedIn("lost-answer");
    const oldCookie = user.cookie;
    const newCookie = await refreshWithLostAnswer(user);
    await pastGrace();

    expect(await sessionOf(user)).toMatchObject({ authenticated: true, subject: "lost-answer" });
    expect(user.cookie).toBe(newCookie);
    expect(user.cookie).not.toBe(oldCookie);
  });

  it("lets the old cookie refresh again: it gets the refreshed session, not INVALID_GRANT", async () => {
    const user = await signedIn("lost-answer-refresh");
    const newCookie = await refreshWithLostAnswer(user);
    await pastGrace();

    const again = await user.post(gateway.url, REFRESH_SESSION);
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data!.refreshSession).toMatchObject({ authenticated: true, subject: "lost-answer-refresh" });
    expect(user.cookie).toBe(newCookie);
  });
});

describe("once the browser uses the new cookie", () => {
  it("the old one leads to the new session only for the grace window", async () => {
    const user = await signedIn("confirmed-rotation");
    const oldCookie = user.cookie;
    expect((await user.post(gateway.url, REFRESH_SESSION)).body.errors).toBeUndefined();
    expect(user.cookie).not.toBe(oldCookie);
    expect(await sessionOf(user)).toMatchObject({ authenticated: true });

    const stale = browser();
    stale.cookie = oldCookie;
    expect(await sessionOf(stale)).toMatchObject({ authenticated: true });
    await pastGrace();
    const late = browser();
    late.cookie = oldCookie;
    expect(await sessionOf(late)).toMatchObject({ authenticated: false });
    expect(await sessionOf(user)).toMatchObject({ authenticated: true, subject: "confirmed-rotation" });
  });
});

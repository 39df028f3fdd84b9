/**
 * The session client against the RUNNING gateway in session mode (SESSION_MODE=cookie), which talks
 * to an in-process emulator issuing 5-second access tokens, so refreshes ahead of expiry happen
 * quickly. Node's fetch keeps no cookies: a "browser" here is a cookie jar wrapped around fetch,
 * which keeps __Host-idc_session the way a browser does and records what the client sent. "Tabs"
 * are session clients sharing one jar, one BroadcastChannel name and one lock manager.
 */
import { BroadcastChannel } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSessionClient, GatewayRequestError, type SessionClient, type SessionClientOptions, type SessionClientState, type SessionFetchLike } from "../../../examples/client/src/index.js";
import { rejectionOf, startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import type { GatewayProcess } from "../../support/gateway-process.js";
import { startClientGateway, uniqueChannel } from "./client-harness.js";
import { createMemoryLockManager } from "./memory-locks.js";

const ACCESS_TOKEN_LIFETIME_SECONDS = 5;
/** Refresh 4 s before a 5 s token expires: about 1 s after it was issued. */
const REFRESH_AHEAD_MS = 4_000;
const SESSION_COOKIE = "__Host-idc_session";
/** What the client holds about a session: nothing secret, no token. */
const SESSION_STATE_FIELDS = ["absoluteExpiresAt", "authenticated", "canRefresh", "clientId", "expiresAt", "idleExpiresAt", "scope", "secondsRemaining", "signedInAt", "subject"];

let emulator: TestEmulator;
let gateway: GatewayProcess;
const clients: SessionClient[] = [];
const channels: BroadcastChannel[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator({
    config: { applications: [{ clientId: "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222", accessTokenLifetimeSeconds: ACCESS_TOKEN_LIFETIME_SECONDS }] },
  });
  // Many sign-ins from one address in a few seconds: the caller's upstream budget is not what these tests measure.
  gateway = await startClientGateway(emulator, { SESSION_MODE: "cookie", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
});

afterAll(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const channel of channels.splice(0)) channel.close();
  await emulator.dev.clearFaults();
});

interface SentRequest {
  operation: string;
  credentials: string | undefined;
  csrf: string | undefined;
}

/**
 * One browser's cookie store for the gateway's site: takes the session cookie from Set-Cookie (only
 * with the attributes a `__Host-` cookie must have, as browsers insist), drops it on Max-Age=0, and
 * sends it with every request.
 */
function browser() {
  let session: string | undefined;
  const requests: SentRequest[] = [];
  const take = (setCookie: string) => {
    const [pair = "", ...attributes] = setCookie.split(";").map((part) => part.trim());
    const [name, value = ""] = pair.split(/=(.*)/s);
    if (name !== SESSION_COOKIE) return;
    const lower = attributes.map((attribute) => attribute.toLowerCase());
    if (!lower.includes("secure") || !lower.includes("path=/") || lower.some((attribute) => attribute.startsWith("domain="))) return;
    const maxAge = lower.find((attribute) => attribute.startsWith("max-age="));
    session = maxAge !== undefined && Number(maxAge.slice("max-age=".length)) <= 0 ? undefined : value;
  };
  const fetchWithCookies: SessionFetchLike = async (input, init) => {
    const { query } = JSON.parse(init.body) as { query: string };
    requests.push({ operation: /^\s*(?:query|mutation)\s+(\w+)/m.exec(query)?.[1] ?? "anonymous", credentials: init.credentials, csrf: init.headers["x-idc-csrf"] });
    const { credentials: _credentials, ...rest } = init;
    const response = await fetch(input, { ...rest, headers: { ...init.headers, ...(session ? { cookie: `${SESSION_COOKIE}=${session}` } : {}) } });
    for (const line of response.headers.getSetCookie()) take(line);
    return response;
  };
  return { fetch: fetchWithCookies, requests, operations: () => requests.map((request) => request.operation), cookie: () => session };
}

function tab(jar: ReturnType<typeof browser>, options: Partial<SessionClientOptions> = {}): SessionClient {
  // No timer-driven refresh unless a test asks for one: the clock says the session never nears expiry.
  const client = createSessionClient({ endpoint: gateway.url, fetch: jar.fetch, locks: null, channelName: null, now: () => 0, ...options });
  clients.push(client);
  return client;
}

/** A raw GraphQL POST, as a program that is not the client would send it. */
async function rawRequest(query: string, headers: Record<string, string>) {
  const response = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}
const codesOf = (body: { errors?: { extensions?: { code?: string } }[] }) => (body.errors ?? []).map((error) => error.extensions?.code);

/** Resolves with the client's state once `predicate` holds (now or later); rejects after timeoutMs. */
function stateWhere(client: SessionClient, predicate: (state: SessionClientState) => boolean, timeoutMs = 10_000): Promise<SessionClientState> {
  return new Promise((resolve, reject) => {
    if (predicate(client.state)) return resolve(client.state);
    const timer = setTimeout(() => (unsubscribe(), reject(new Error(`state did not match within ${timeoutMs} ms; last: ${JSON.stringify(client.state)}`))), timeoutMs);
    const unsubscribe = client.subscribe((state) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(state);
    });
  });
}
const expiresAfter = (expiresAt: string | null) => (state: SessionClientState) => state.status === "signed-in" && Date.parse(state.session.expiresAt!) > Date.parse(expiresAt!);

/** Everything said on a BroadcastChannel name, as any tab of the origin hears it; `next` resolves on the first message (heard or to come) that matches. */
function listen(channelName: string) {
  const heard: unknown[] = [];
  const waiting = new Set<() => void>();
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = (event) => {
    heard.push((event as MessageEvent).data);
    for (const check of [...waiting]) check();
  };
  channels.push(channel);
  const next = (predicate: (message: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const check = () => {
        const found = heard.find((message) => predicate(message as Record<string, unknown>));
        if (found === undefined) return;
        waiting.delete(check);
        resolve(found as Record<string, unknown>);
      };
      waiting.add(check);
      check();
    });
  return { heard, next };
}

let users = 0;
async function assertion(sub = `session-user-${++users}`): Promise<string> {
  return (await emulator.dev.assertion({ sub })).assertion;
}
const upstreamCalls = async () => (await emulator.dev.stats()).calls.CreateTokenWithIAM;

describe("session client against the running gateway in cookie mode", () => {
  it("signs in: the gateway sets the session cookie and the client holds an authenticated session without any token", async () => {
    const jar = browser();
    const client = tab(jar);

    const session = await client.signIn({ grantType: "JWT_BEARER", assertion: await assertion("alice") });

    expect(jar.operations()).toEqual(["SignInSession", "CurrentSession"]);
    expect(typeof jar.cookie()).toBe("string");
    expect(Object.keys(session).sort()).toEqual(SESSION_STATE_FIELDS);
    expect(session).toMatchObject({ authenticated: true, subject: "alice", canRefresh: true, clientId: emulator.defaultClientId });
    expect(Date.parse(session.expiresAt!) - Date.parse(session.signedInAt!)).toBeLessThanOrEqual(ACCESS_TOKEN_LIFETIME_SECONDS * 1000);
    expect(client.state).toEqual({ status: "signed-in", session });
  });

  it("sends credentials: include and x-idc-csrf: 1 with every request, which the gateway requires: a raw request without the header is FORBIDDEN", async () => {
    const jar = browser();
    const client = tab(jar, { headers: { "x-idc-csrf": "0" } });
    await client.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await client.session();
    await client.refresh();

    const withoutHeader = await rawRequest("{ session { authenticated } }", { cookie: `${SESSION_COOKIE}=${jar.cookie()}` });
    const withHeader = await rawRequest("{ session { authenticated } }", { cookie: `${SESSION_COOKIE}=${jar.cookie()}`, "x-idc-csrf": "1" });

    expect(jar.requests.map(({ credentials, csrf }) => ({ credentials, csrf }))).toEqual(Array(4).fill({ credentials: "include", csrf: "1" }));
    // GraphQL execution errors keep HTTP 200 (README: Errors); the code says what happened.
    expect([withoutHeader.status, codesOf(withoutHeader.body)]).toEqual([200, ["FORBIDDEN"]]);
    expect(withHeader.body).toEqual({ data: { session: { authenticated: true } } });
  });

  it("refreshes the session on its own ahead of expiresAt: one refreshSession, a rotated cookie, one upstream call", async () => {
    const jar = browser();
    const client = tab(jar, { now: Date.now, refreshSkewMs: REFRESH_AHEAD_MS });
    const first = await client.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    const cookieAtSignIn = jar.cookie();
    const before = await upstreamCalls();

    const refreshed = await stateWhere(client, expiresAfter(first.expiresAt));
    const observedAt = Date.now();

    expect(jar.operations()).toEqual(["SignInSession", "CurrentSession", "RefreshSession"]);
    expect(observedAt).toBeLessThan(Date.parse(first.expiresAt!));
    expect(await upstreamCalls()).toBe(before + 1);
    // Compared as a boolean: a failure must never print a session id.
    expect(jar.cookie() !== undefined && jar.cookie() !== cookieAtSignIn, "the refresh rotates the session cookie").toBe(true);
    expect(refreshed).toMatchObject({ status: "signed-in", session: { authenticated: true, subject: first.subject, signedInAt: first.signedInAt } });
  });

  it("two tabs (one cookie jar, one lock manager) refreshing at once send one refreshSession; the other tab is told, without a secret", async () => {
    const jar = browser();
    const channelName = uniqueChannel("session-two-tabs");
    const { heard } = listen(channelName);
    const locks = createMemoryLockManager();
    const first = tab(jar, { channelName, locks });
    const second = tab(jar, { channelName, locks });
    const signedIn = await first.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await stateWhere(second, (state) => state.status === "signed-in");
    const before = await upstreamCalls();

    const [a, b] = await Promise.all([first.refresh(), second.refresh()]);

    expect(jar.operations().filter((operation) => operation === "RefreshSession")).toEqual(["RefreshSession"]);
    expect(await upstreamCalls()).toBe(before + 1);
    expect(Date.parse(a.expiresAt!)).toBeGreaterThan(Date.parse(signedIn.expiresAt!));
    expect(b.expiresAt).toBe(a.expiresAt);
    expect(second.state).toMatchObject({ status: "signed-in", session: { expiresAt: a.expiresAt, signedInAt: signedIn.signedInAt } });
    const news = heard.filter((message) => (message as { expiresAt?: string }).expiresAt === a.expiresAt);
    expect(news).toEqual([{ type: "session-updated", from: expect.any(String), signedInAt: a.signedInAt, expiresAt: a.expiresAt, idleExpiresAt: a.idleExpiresAt, absoluteExpiresAt: a.absoluteExpiresAt }]);
    expect(JSON.stringify(heard).includes(jar.cookie()!), "no message carries the session id").toBe(false);
  });

  it("a tab that finds the refresh lock taken sends nothing: it waits for the holder's news and adopts the new expiry", async () => {
    const jar = browser();
    const channelName = uniqueChannel("session-follower");
    const channel = listen(channelName);
    const locks = createMemoryLockManager();
    const holder = tab(jar, { channelName, locks });
    const follower = tab(jar, { channelName, locks });
    const signedIn = await holder.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await stateWhere(follower, (state) => state.status === "signed-in");
    const sentBefore = jar.operations().length;

    const holding = holder.refresh();
    await channel.next((message) => message.type === "session-refreshing");
    const adopted = await follower.refresh();

    expect(jar.operations().slice(sentBefore)).toEqual(["RefreshSession"]);
    expect(adopted.expiresAt).toBe((await holding).expiresAt);
    expect(adopted).toEqual({ ...signedIn, expiresAt: adopted.expiresAt, idleExpiresAt: adopted.idleExpiresAt, absoluteExpiresAt: adopted.absoluteExpiresAt });
    expect(Date.parse(adopted.expiresAt!)).toBeGreaterThan(Date.parse(signedIn.expiresAt!));
  });

  it("signOut ends the session at the gateway, clears the cookie, and signs out the other tabs", async () => {
    const jar = browser();
    const channelName = uniqueChannel("session-sign-out");
    const first = tab(jar, { channelName });
    const second = tab(jar, { channelName });
    await first.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await stateWhere(second, (state) => state.status === "signed-in");
    const endedCookie = jar.cookie()!;

    expect(await first.signOut()).toBe(true);

    expect(jar.cookie() === undefined, "signOut clears the session cookie").toBe(true);
    expect(first.state).toEqual({ status: "signed-out", reason: "sign-out" });
    expect(await stateWhere(second, (state) => state.status === "signed-out")).toEqual({ status: "signed-out", reason: "sign-out" });
    const replay = await rawRequest("mutation { refreshSession { authenticated } }", { cookie: `${SESSION_COOKIE}=${endedCookie}`, "x-idc-csrf": "1" });
    expect(codesOf(replay.body)).toEqual(["UNAUTHENTICATED"]);
  });

  it("UNAUTHENTICATED from a refresh (the user signed out everywhere in another browser) signs out every tab", async () => {
    const laptop = browser();
    const phone = browser();
    const channelName = uniqueChannel("session-unauthenticated");
    const first = tab(laptop, { channelName });
    const second = tab(laptop, { channelName });
    await first.signIn({ grantType: "JWT_BEARER", assertion: await assertion("bob") });
    await stateWhere(second, (state) => state.status === "signed-in");
    const elsewhere = tab(phone);
    await elsewhere.signIn({ grantType: "JWT_BEARER", assertion: await assertion("bob") });
    expect(await elsewhere.signOutEverywhere()).toBe(true);

    const failure = await rejectionOf(first.refresh());

    expect(failure).toBeInstanceOf(GatewayRequestError);
    expect(failure.code).toBe("UNAUTHENTICATED");
    expect(laptop.operations().filter((operation) => operation === "RefreshSession")).toEqual(["RefreshSession"]);
    expect(first.state).toEqual({ status: "signed-out", reason: "unauthenticated" });
    expect(await stateWhere(second, (state) => state.status === "signed-out")).toEqual({ status: "signed-out", reason: "unauthenticated" });
    expect(elsewhere.state).toEqual({ status: "signed-out", reason: "sign-out" });
    expect(await first.session()).toBeUndefined();
  });

  it("retries a refresh that failed with UPSTREAM_SERVER_ERROR and keeps the session", async () => {
    const jar = browser();
    // The gateway shares a failed exchange's error for about a second: back off longer than that.
    const client = tab(jar, { backoff: { initialDelayMs: 2_400, maxDelayMs: 2_400 } });
    const signedIn = await client.signIn({ grantType: "JWT_BEARER", assertion: await assertion() });
    await emulator.dev.addFault({ operation: "CreateTokenWithIAM", exception: "InternalServerException", count: 1 });
    const errorsBefore = (await emulator.dev.stats()).errors.InternalServerException ?? 0;

    const refreshed = await client.refresh();

    expect(jar.operations()).toEqual(["SignInSession", "CurrentSession", "RefreshSession", "RefreshSession"]);
    expect((await emulator.dev.stats()).errors.InternalServerException).toBe(errorsBefore + 1);
    expect(Date.parse(refreshed.expiresAt!)).toBeGreaterThan(Date.parse(signedIn.expiresAt!));
    expect(client.state).toEqual({ status: "signed-in", session: refreshed });
  });
});

describe("createSessionClient options", () => {
  it("are checked up front, with the contract and the bad value in the message", () => {
    expect(() => createSessionClient({ endpoint: "gateway:4000" })).toThrow('createSessionClient: endpoint must be the gateway\'s http(s) GraphQL URL, got "gateway:4000"');
    expect(() => createSessionClient({ endpoint: "http://localhost:4000/graphql", refreshSkewMs: -1 })).toThrow("createSessionClient: refreshSkewMs must be an integer >= 0, got -1");
    expect(() => createSessionClient({ endpoint: "http://localhost:4000/graphql", maxAttempts: 0 })).toThrow("createSessionClient: maxAttempts must be an integer >= 1, got 0");
    expect(() => createSessionClient({ endpoint: "http://localhost:4000/graphql", channelName: "" })).toThrow('createSessionClient: channelName must be a non-empty string, or null for no tab coordination, got ""');
  });
});

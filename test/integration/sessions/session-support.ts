/**
 * A browser's view of session mode over plain HTTP: one cookie jar per "browser", the CSRF header,
 * and the Set-Cookie header the gateway answered, so tests can assert exactly what a browser gets.
 */
import { expect } from "vitest";

export const SESSION_COOKIE = "__Host-idc_session";

export const SESSION_SELECTION = "{ authenticated clientId subject scope expiresAt signedInAt idleExpiresAt absoluteExpiresAt canRefresh accessToken idToken idTokenClaims { subject identityContext raw } }";
export const SIGN_IN = `mutation SignIn($input: CreateTokenWithIAMInput!) {
  createTokenWithIAM(input: $input) { accessToken refreshToken idToken awsAdditionalDetails { identityContext } expiresAt idTokenClaims { subject identityContext } }
}`;
export const SESSION = `query Session { session ${SESSION_SELECTION} }`;
export const REFRESH_SESSION = `mutation RefreshSession { refreshSession ${SESSION_SELECTION} }`;
export const SIGN_OUT = "mutation SignOut { signOut }";
export const SIGN_OUT_EVERYWHERE = "mutation SignOutEverywhere { signOutEverywhere }";

export interface SessionAnswer {
  status: number;
  /** The raw Set-Cookie header, or null. */
  setCookie: string | null;
  headers: Headers;
  text: string;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
}

export interface Browser {
  /** The session cookie's value this browser holds, or undefined. */
  cookie: string | undefined;
  post(url: string, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<SessionAnswer>;
}

/** A cookie jar for one browser: sends the session cookie it holds and keeps what Set-Cookie says, as a browser does. */
export function browser(options: { csrf?: boolean } = {}): Browser {
  const jar: Browser = {
    cookie: undefined,
    async post(url, query, variables = {}, headers = {}) {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(options.csrf === false ? {} : { "x-idc-csrf": "1" }),
          ...(jar.cookie === undefined ? {} : { cookie: `${SESSION_COOKIE}=${jar.cookie}` }),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const setCookie = response.headers.get("set-cookie");
      if (setCookie !== null) {
        const [pair] = setCookie.split(";");
        const value = pair!.slice(pair!.indexOf("=") + 1);
        jar.cookie = /max-age=0/i.test(setCookie) || value === "" ? undefined : value;
      }
      const text = await response.text();
      return { status: response.status, setCookie, headers: response.headers, text, body: JSON.parse(text) as SessionAnswer["body"] };
    },
  };
  return jar;
}

/** The one error's code of an answer (fails loudly otherwise). */
export function codeOf(answer: SessionAnswer): string {
  if (answer.body.errors?.length !== 1) throw new Error(`expected exactly one error, got ${answer.text}`);
  return answer.body.errors[0]!.extensions?.code as string;
}

export const ASSUME = `mutation Assume($input: AssumeRoleWithIdentityContextInput!) { assumeRoleWithIdentityContext(input: $input) { accessKeyId } }`;

/** The identity context inside an ID token (`sts:identity_context`): what a page shown it (SESSION_EXPOSE=idToken) holds. */
export function identityContextInIdToken(idToken: string): string {
  const payload = JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
  const context = payload["sts:identity_context"];
  if (typeof context !== "string") throw new Error("the ID token carries no sts:identity_context");
  return context;
}

/**
 * assumeRoleWithIdentityContext as sent with the session cookie `cookie` (a copy of a browser's, or
 * undefined: none) and the CSRF header: "ok" (credentials) or the one error's code.
 */
export async function credentialsFrom(url: string, identityContext: string, cookie: string | undefined): Promise<string> {
  const answer = await browser().post(url, ASSUME, { input: { identityContext } }, cookie === undefined ? {} : { cookie: `${SESSION_COOKIE}=${cookie}` });
  if (answer.body.errors === undefined) {
    expect((answer.body.data!.assumeRoleWithIdentityContext as { accessKeyId: string }).accessKeyId).toMatch(/^ASIA/);
    return "ok";
  }
  return codeOf(answer);
}

/**
 * A new browser signs `sub` in (JWT bearer, with `openid` and `sts:identity_context`) on the gateway at
 * `url`, and reads the identity context inside the ID token its page is shown (SESSION_EXPOSE=idToken).
 */
export async function signInShowingIdentityContext(url: string, mintAssertion: (claims: { sub: string }) => Promise<string>, sub: string): Promise<{ user: Browser; identityContext: string }> {
  const user = browser();
  const assertion = await mintAssertion({ sub });
  expect((await user.post(url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } })).body.errors).toBeUndefined();
  const { idToken } = (await user.post(url, SESSION)).body.data!.session as { idToken: string };
  return { user, identityContext: identityContextInIdToken(idToken) };
}

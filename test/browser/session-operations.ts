import type { BrowserContext, Cookie, Page } from "playwright-core";
import type { GatewayProcess } from "../support/gateway-process.js";
import { callFromPage, dataOf, type PageAnswer } from "./session-page.js";
import type { SessionWorld } from "./session-topology.js";

/** The session-mode operations the browser tests run from pages, and the cookie they read back. */

export const SESSION_COOKIE = "__Host-idc_session";

const SESSION_FIELDS = /* GraphQL */ `{
  authenticated subject scope expiresAt idleExpiresAt absoluteExpiresAt canRefresh accessToken idToken secondsRemaining idTokenClaims { subject }
}`;
export const SIGN_IN = /* GraphQL */ `mutation SignIn($assertion: String!) {
  createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: $assertion, scope: ["openid"] }) {
    accessToken refreshToken idToken expiresAt awsAdditionalDetails { identityContext }
  }
}`;
export const SESSION = `query Session { session ${SESSION_FIELDS} }`;
export const REFRESH_SESSION = `mutation RefreshSession { refreshSession ${SESSION_FIELDS} }`;
export const SIGN_OUT_EVERYWHERE = "mutation SignOutEverywhere { signOutEverywhere }";

export interface SessionShape {
  authenticated: boolean;
  subject: string | null;
  scope: string[] | null;
  expiresAt: string | null;
  idleExpiresAt: string | null;
  absoluteExpiresAt: string | null;
  canRefresh: boolean;
  accessToken: string | null;
  idToken: string | null;
  secondsRemaining: number | null;
  idTokenClaims: { subject: string } | null;
}

/** Signs `sub` in from `page` through `gateway` with a fresh assertion from the emulator (the IdP's JWT the frontend holds). */
export async function signIn(world: SessionWorld, page: Page, gateway: GatewayProcess, sub: string): Promise<PageAnswer> {
  const { assertion } = await world.emulator.dev.assertion({ sub });
  return callFromPage(page, gateway.url, SIGN_IN, { assertion });
}

export async function sessionOf(page: Page, gateway: GatewayProcess): Promise<SessionShape> {
  return dataOf(await callFromPage(page, gateway.url, SESSION)).session as SessionShape;
}

export function refreshFrom(page: Page, gateway: GatewayProcess): Promise<PageAnswer> {
  return callFromPage(page, gateway.url, REFRESH_SESSION);
}

/** The context's session cookie (Playwright's view of the browser's cookie jar); undefined when there is none. */
export async function sessionCookie(context: BrowserContext): Promise<Cookie | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
}

/** The session id the browser holds: tests compare it, never print it. */
export async function sessionIdIn(context: BrowserContext): Promise<string | undefined> {
  return (await sessionCookie(context))?.value;
}

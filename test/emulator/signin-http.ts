/**
 * The sign-in pages over plain HTTP (no browser), for the tests of what a browser cannot show:
 * headers, refusals, the form token. Redirects are never followed, so a test sees the Location.
 * Also the set-up both the HTTP and the browser tests of the pages share.
 */
import { afterAll, beforeAll, expect } from "vitest";
import {
  CreateTokenCommand,
  RegisterClientCommand,
  StartDeviceAuthorizationCommand,
  type CreateTokenCommandOutput,
  type SSOOIDCClient,
} from "@aws-sdk/client-sso-oidc";
import type { StartEmulatorOptions } from "../../src/emulator/index.js";
import { startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { GRANT } from "../support/emulator-model.js";

export interface PageAnswer {
  status: number;
  headers: Headers;
  body: string;
  location: string | null;
}

async function answerOf(response: Response): Promise<PageAnswer> {
  return { status: response.status, headers: response.headers, body: await response.text(), location: response.headers.get("location") };
}

export async function getPage(base: string, path: string, query: Record<string, string> = {}): Promise<PageAnswer> {
  const search = new URLSearchParams(query).toString();
  return answerOf(await fetch(`${base}${path}${search === "" ? "" : `?${search}`}`, { redirect: "manual" }));
}

export async function postForm(base: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageAnswer> {
  return answerOf(
    await fetch(`${base}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    }),
  );
}

/** The one-time token in a rendered form. */
export function formTokenIn(page: PageAnswer): string {
  const token = /name="form_token" value="([^"]+)"/.exec(page.body)?.[1];
  expect(token, page.body).toBeDefined();
  return token!;
}

/** The text of the page's error notice (HTML entities left as sent). */
export function errorIn(page: PageAnswer): string | undefined {
  return /<p class="error" role="alert"[^>]*>([^<]*)<\/p>/.exec(page.body)?.[1];
}

/** Location's query as an object, the code replaced by a marker so no code ends up in a test's output. */
export function redirectQuery(location: string | null): { target: string; params: Record<string, string> } {
  expect(location).not.toBeNull();
  const url = new URL(location!);
  const params = Object.fromEntries(url.searchParams);
  if (params.code !== undefined) params.code = params.code.length > 20 ? "<code>" : params.code;
  return { target: `${url.origin}${url.pathname}`, params };
}

/** One emulator for a test file: started before its tests (options may be computed then), stopped after. */
export function emulatorForFile(options: () => StartEmulatorOptions | Promise<StartEmulatorOptions> = () => ({})): { readonly h: TestEmulator } {
  const holder: { h: TestEmulator } = { h: undefined as unknown as TestEmulator };
  beforeAll(async () => {
    holder.h = await startTestEmulator(await options());
  });
  afterAll(async () => {
    await holder.h?.stop();
  });
  return holder;
}

export interface StartedDevice {
  userCode: string;
  verificationUriComplete: string;
  /** One CreateToken poll with the device_code grant. */
  poll(): Promise<CreateTokenCommandOutput>;
}

/** RegisterClient then StartDeviceAuthorization through the JS SDK, as a CLI starts the device flow. */
export async function startDeviceAuthorization(client: SSOOIDCClient): Promise<StartedDevice> {
  const registered = await client.send(new RegisterClientCommand({ clientName: "signin-test", clientType: "public" }));
  const credentials = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
  const device = await client.send(new StartDeviceAuthorizationCommand({ ...credentials, startUrl: "https://d-9067aaaabb.awsapps.com/start" }));
  return {
    userCode: device.userCode!,
    verificationUriComplete: device.verificationUriComplete!,
    poll: () => client.send(new CreateTokenCommand({ ...credentials, grantType: GRANT.deviceCode, deviceCode: device.deviceCode! })),
  };
}

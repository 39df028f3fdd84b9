/**
 * What a click on Allow or Deny does, done by the very code behind the developer API (so a page and
 * a script can never disagree about what a code or an approval means): `POST /_emulator/authorize`
 * issues the code, `POST /_emulator/device/approve|deny` decides a device authorization. Refusals
 * come back as the developer API's WireError.
 */
import type { EmulatorContext } from "../emulator-context.js";
import { handleDevApi } from "../devapi/dev-api.js";
import type { JsonObject } from "../http/json-input.js";
import type { AuthorizeRequest } from "./authorize-request.js";

async function callDevApi(ctx: EmulatorContext, path: string, body: JsonObject): Promise<unknown> {
  const answer = await handleDevApi(ctx, "POST", path, async () => body);
  if (answer === undefined) throw new Error(`the developer API has no route POST ${path}`);
  return answer.body;
}

/** An authorization code for `sub`, bound to the request's client, redirect URI, challenge and scopes. */
export async function issueAuthorizationCode(ctx: EmulatorContext, request: AuthorizeRequest, sub: string): Promise<string> {
  const body: JsonObject = { clientId: request.clientId, redirectUri: request.redirectUri, sub };
  if (request.codeChallenge !== undefined) {
    body.codeChallenge = request.codeChallenge;
    body.codeChallengeMethod = request.codeChallengeMethod ?? "plain";
  }
  if (request.scopes !== undefined) body.scope = request.scopes;
  const answer = (await callDevApi(ctx, "/_emulator/authorize", body)) as { code?: unknown };
  if (typeof answer.code !== "string") throw new Error("the developer API issued no authorization code");
  return answer.code;
}

export async function approveDeviceAuthorization(ctx: EmulatorContext, userCode: string, sub: string): Promise<void> {
  await callDevApi(ctx, "/_emulator/device/approve", { userCode, sub });
}

export async function denyDeviceAuthorization(ctx: EmulatorContext, userCode: string): Promise<void> {
  await callDevApi(ctx, "/_emulator/device/deny", { userCode });
}

/**
 * GET /device shows the verification form (the code prefilled from `?user_code=`, as the device
 * flow's verificationUriComplete gives it); POST /device approves or denies that pending device
 * authorization for the user name entered, exactly as the developer API does.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../emulator-context.js";
import { approveDeviceAuthorization, denyDeviceAuthorization, normalizeUserCode } from "../device/device-approval.js";
import { OAuthFlowError } from "../grants/oauth-flow-error.js";
import { devicePage, type DevicePageModel } from "./device-page.js";
import { readFormPost } from "./form-post.js";
import { formTokensOf } from "./form-tokens.js";
import { doneDevicePage, errorPage } from "./message-page.js";
import { sendPage } from "./page-response.js";

/** The device form binds nothing but "this emulator served it". */
const tokensOf = (ctx: EmulatorContext) => formTokensOf<true>(ctx, "device");

function showForm(ctx: EmulatorContext, res: ServerResponse, status: number, model: Omit<DevicePageModel, "formToken">): void {
  sendPage(res, status, devicePage({ ...model, formToken: tokensOf(ctx).issue(true) }));
}

export function showDevicePage(ctx: EmulatorContext, res: ServerResponse, query: URLSearchParams): void {
  showForm(ctx, res, 200, { userCode: query.get("user_code") ?? undefined });
}

export async function answerDeviceForm(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const post = await readFormPost(req);
  if (post.kind === "refused") return sendPage(res, post.status, errorPage(`The request was refused: ${post.reason}.`));
  const typed = post.fields.get("user_code") ?? "";
  const sub = (post.fields.get("sub") ?? "").trim();
  const again = (error: string) => showForm(ctx, res, 400, { userCode: typed, sub, error });
  if (tokensOf(ctx).redeem(post.fields.get("form_token")) === undefined) return again("This form has expired or was already used. Check the code and choose again.");
  const userCode = normalizeUserCode(typed);
  if (userCode === "") return again("Enter the code your application shows.");
  const decision = post.fields.get("decision");
  if (decision !== "allow" && decision !== "deny") return again("Choose Allow or Deny.");
  if (decision === "allow" && sub === "") return again("Enter a user name to sign in as.");
  try {
    // The same functions as POST /_emulator/device/approve and /deny.
    if (decision === "allow") approveDeviceAuthorization(ctx, userCode, sub);
    else denyDeviceAuthorization(ctx, userCode);
  } catch (error) {
    if (!(error instanceof OAuthFlowError)) throw error;
    return again(`No pending request has the code ${userCode}: it may have expired, or been approved or denied already.`);
  }
  sendPage(res, 200, doneDevicePage(decision === "allow" ? "approved" : "denied"));
}

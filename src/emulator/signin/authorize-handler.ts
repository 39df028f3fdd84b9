/**
 * GET /authorize shows the consent page for a verified request; POST /authorize (the page's form)
 * answers the client: Allow → its redirect URI with `code` and `state`, Deny → `error=access_denied`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../emulator-context.js";
import { issueAuthorizationCode } from "../grants/authorization-code-issuer.js";
import { OAuthFlowError } from "../grants/oauth-flow-error.js";
import { authorizePage } from "./authorize-page.js";
import { redirectWith, verifyAuthorizeQuery, type AuthorizeRequest } from "./authorize-request.js";
import { readFormPost } from "./form-post.js";
import { formTokensOf } from "./form-tokens.js";
import { errorPage } from "./message-page.js";
import { sendPage, sendRedirect } from "./page-response.js";

const tokensOf = (ctx: EmulatorContext) => formTokensOf<AuthorizeRequest>(ctx, "authorize");

function showConsent(ctx: EmulatorContext, res: ServerResponse, status: number, request: AuthorizeRequest, error?: string): void {
  sendPage(res, status, authorizePage({ request, formToken: tokensOf(ctx).issue(request), error }));
}

export function showAuthorizePage(ctx: EmulatorContext, res: ServerResponse, query: URLSearchParams): void {
  const verdict = verifyAuthorizeQuery(ctx, query);
  switch (verdict.kind) {
    case "valid":
      return showConsent(ctx, res, 200, verdict.request);
    case "error-page":
      return sendPage(res, 400, errorPage(verdict.message));
    case "error-redirect":
      return sendRedirect(res, verdict.location);
  }
}

export async function answerAuthorizeForm(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const post = await readFormPost(req);
  if (post.kind === "refused") return sendPage(res, post.status, errorPage(`The sign-in was refused: ${post.reason}.`));
  // The token, not the form, says which request this is: a POST cannot change the redirect URI.
  const request = tokensOf(ctx).redeem(post.fields.get("form_token"));
  if (request === undefined) return sendPage(res, 400, errorPage("This sign-in form has expired or was already used."));
  const decision = post.fields.get("decision");
  if (decision === "deny") return sendRedirect(res, redirectWith(request.redirectUri, { error: "access_denied", state: request.state }));
  if (decision !== "allow") return showConsent(ctx, res, 400, request, "Choose Allow or Deny.");
  const sub = (post.fields.get("sub") ?? "").trim();
  if (sub === "") return showConsent(ctx, res, 400, request, "Enter a user name to sign in as.");
  try {
    // The same issuer as POST /_emulator/authorize: a page and a script never disagree about a code.
    const { code } = issueAuthorizationCode(ctx, { ...request, sub });
    sendRedirect(res, redirectWith(request.redirectUri, { code, state: request.state }));
  } catch (error) {
    if (!(error instanceof OAuthFlowError)) throw error;
    if (!error.redirectable) return sendPage(res, 400, errorPage(`No code was issued: ${error.description}`));
    sendRedirect(res, redirectWith(request.redirectUri, { error: error.error, error_description: error.description, state: request.state }));
  }
}

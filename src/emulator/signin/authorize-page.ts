/** The consent page of GET /authorize: who is asking, for what, and the user name to sign in as. */
import type { AuthorizeRequest } from "./authorize-request.js";
import { errorNotice, html, layout } from "./html.js";

export interface AuthorizePageModel {
  request: AuthorizeRequest;
  formToken: string;
  error?: string;
}

export function authorizePage(model: AuthorizePageModel): string {
  const { request } = model;
  return layout(
    "Sign in and allow access",
    html`${errorNotice(model.error)}
<p>An application asks to sign you in and act on your behalf.</p>
<dl>
<dt>Application</dt><dd id="client-id">${request.clientId}</dd>
<dt>Scopes</dt><dd id="scopes">${request.scopes === undefined ? "(the application's scopes)" : request.scopes.join(" ")}</dd>
<dt>Returns to</dt><dd id="redirect-uri">${request.redirectUri}</dd>
</dl>
<form method="post" action="/authorize">
<input type="hidden" name="form_token" value="${model.formToken}">
<label for="sub">User name</label>
<input type="text" id="sub" name="sub" value="" required autofocus autocomplete="username" spellcheck="false">
<div class="buttons">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</div>
</form>`,
  );
}

/** The device verification page: the code the application showed, the user name, Allow or Deny. */
import { errorNotice, html, layout } from "./html.js";

export interface DevicePageModel {
  formToken: string;
  userCode?: string;
  sub?: string;
  error?: string;
}

export function devicePage(model: DevicePageModel): string {
  return layout(
    "Authorize a device",
    html`${errorNotice(model.error)}
<p>Check that the code matches the one your application shows, then choose.</p>
<form method="post" action="/device">
<input type="hidden" name="form_token" value="${model.formToken}">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" value="${model.userCode ?? ""}" required autocomplete="off" spellcheck="false" autocapitalize="characters">
<label for="sub">User name</label>
<input type="text" id="sub" name="sub" value="${model.sub ?? ""}" required autofocus autocomplete="username" spellcheck="false">
<div class="buttons">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</div>
</form>`,
  );
}

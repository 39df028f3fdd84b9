/** Pages that only say something: an error that cannot go back to the client, or the end of a device sign-in. */
import { html, layout } from "./html.js";

export function errorPage(message: string): string {
  return layout("Sign-in error", html`<p class="error" role="alert" id="error">${message}</p>
<p>Nothing was sent back to the application. Start the sign-in again from the application.</p>`);
}

export function doneDevicePage(decision: "approved" | "denied"): string {
  const title = decision === "approved" ? "Request approved" : "Request denied";
  const detail = decision === "approved" ? "The application is now signed in." : "The application was not signed in.";
  return layout(title, html`<p id="outcome">${detail} You can close this window.</p>`);
}

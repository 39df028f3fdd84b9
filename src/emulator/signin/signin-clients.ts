/**
 * Who may send a person to GET /authorize: the configured CreateTokenWithIAM applications, with the
 * redirect URIs and scopes configured for them. The page trusts a redirect URI only when it is
 * registered here, so an error about the client or the redirect URI is shown, never redirected.
 */
import type { EmulatorContext } from "../emulator-context.js";

export interface SigninClient {
  clientId: string;
  redirectUris: readonly string[];
  scopes: readonly string[];
}

export function signinClientOf(ctx: EmulatorContext, clientId: string): SigninClient | undefined {
  return ctx.applications.get(clientId);
}

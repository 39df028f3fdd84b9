/**
 * Whether GET /authorize may trust a client and its redirect URI: a configured CreateTokenWithIAM
 * application with that exact redirect URI, or a live public client from RegisterClient with a
 * matching one (loopback ports free, as the AWS CLI registers a port-less loopback URI). Until both
 * check out, the page shows errors instead of redirecting. Everything else about the request (grant
 * type, PKCE, scopes) is the code issuer's to judge when the user allows.
 */
import type { EmulatorContext } from "../emulator-context.js";
import { redirectUriMatches } from "../grants/redirect-uris.js";

export type ClientCheck = { kind: "trusted" } | { kind: "unknown-client" } | { kind: "unregistered-redirect-uri" };

export function checkClientRedirect(ctx: EmulatorContext, clientId: string, redirectUri: string): ClientCheck {
  const app = ctx.applications.get(clientId);
  if (app !== undefined) return app.redirectUris.includes(redirectUri) ? { kind: "trusted" } : { kind: "unregistered-redirect-uri" };
  const client = ctx.devices.clients.get(clientId);
  if (client === undefined || client.secretExpiresAt * 1000 <= ctx.now()) return { kind: "unknown-client" };
  return client.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))
    ? { kind: "trusted" }
    : { kind: "unregistered-redirect-uri" };
}

/**
 * Issues authorization codes, for `POST /_emulator/authorize` and the `/authorize` sign-in page
 * alike. Two kinds of client get codes:
 * - configured applications (CreateTokenWithIAM): the redirect URI must be one of the application's,
 *   exactly; PKCE optional; whether the application allows the grant is CreateTokenWithIAM's to say
 *   (UnauthorizedClientException), as before;
 * - public clients registered through RegisterClient with the authorization_code grant (CreateToken):
 *   the redirect URI must match a registered one (loopback ports free, see redirect-uris.ts) and a
 *   PKCE challenge is required, as AWS requires PKCE of public clients.
 * Refusals are OAuthFlowErrors whose description starts with the field at fault.
 */
import { DEFAULT_APPLICATION_ARN } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { PUBLIC_GRANT_TYPES } from "../device/device-store.js";
import { OAuthFlowError } from "./oauth-flow-error.js";
import { redirectUriMatches } from "./redirect-uris.js";

export interface AuthorizationCodeRequest {
  /** An application ARN of the configuration or a registered client id; default: the default application. */
  clientId?: string | undefined;
  redirectUri: string;
  /** Who signs in. */
  sub: string;
  codeChallenge?: string | undefined;
  /** RFC 7636: "plain" when a challenge comes without a method. */
  codeChallengeMethod?: "S256" | "plain" | undefined;
  /** Undefined or empty: the client's scopes. */
  scopes?: string[] | undefined;
}

export interface IssuedAuthorizationCode {
  code: string;
  /** Epoch ms. */
  expiresAt: number;
}

const notRedirectable = (description: string) => new OAuthFlowError("invalid_request", description, false);

/** Which scopes a code carries: a subset of `allowed`, or undefined for "the client's own". */
function checkScopes(requested: string[] | undefined, allowed: string[], owner: string): string[] | undefined {
  const scopes = requested !== undefined && requested.length > 0 ? requested : undefined;
  const outside = scopes?.filter((scope) => !allowed.includes(scope)) ?? [];
  if (outside.length > 0) throw new OAuthFlowError("invalid_scope", `scope: the ${owner} does not have ${outside.join(", ")}`, true);
  return scopes;
}

/** The client, its redirect URI and its scopes check out: returns the scopes the code carries. */
function checkClient(ctx: EmulatorContext, clientId: string, request: AuthorizationCodeRequest): string[] | undefined {
  const app = ctx.applications.get(clientId);
  if (app !== undefined) {
    if (!app.redirectUris.includes(request.redirectUri)) {
      throw notRedirectable(`redirectUri: not registered for the application (registered: ${app.redirectUris.join(", ")})`);
    }
    return checkScopes(request.scopes, app.scopes, "application");
  }
  const client = ctx.devices.clients.get(clientId);
  if (client === undefined || client.secretExpiresAt * 1000 <= ctx.now()) {
    throw notRedirectable(`clientId: ${clientId} is not a configured application or a registered client`);
  }
  if (!client.redirectUris.some((registered) => redirectUriMatches(registered, request.redirectUri))) {
    throw notRedirectable(`redirectUri: not registered for the client (registered: ${client.redirectUris.join(", ") || "none"})`);
  }
  if (!client.grantTypes.includes(PUBLIC_GRANT_TYPES.authorizationCode)) {
    throw new OAuthFlowError("unauthorized_client", "clientId: the client was not registered for the authorization_code grant", true);
  }
  if (request.codeChallenge === undefined || request.codeChallenge === "") {
    throw new OAuthFlowError("invalid_request", "codeChallenge: required for public clients (PKCE)", true);
  }
  return checkScopes(request.scopes, client.scopes, "client");
}

export function issueAuthorizationCode(ctx: EmulatorContext, request: AuthorizationCodeRequest): IssuedAuthorizationCode {
  const clientId = request.clientId ?? DEFAULT_APPLICATION_ARN;
  if (request.sub === "") throw new OAuthFlowError("invalid_request", "sub: required", true);
  const scopes = checkClient(ctx, clientId, request);
  const challenge = request.codeChallenge === "" ? undefined : request.codeChallenge;
  const expiresAt = ctx.now() + ctx.config.authorizationCodeLifetimeSeconds * 1000;
  const code = ctx.tokens.issueCode({
    clientId,
    redirectUri: request.redirectUri,
    sub: request.sub,
    scopes,
    codeChallenge: challenge,
    codeChallengeMethod: challenge === undefined ? undefined : (request.codeChallengeMethod ?? "plain"),
    expiresAt,
  });
  return { code, expiresAt };
}

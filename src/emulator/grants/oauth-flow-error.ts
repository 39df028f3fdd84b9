/**
 * A refusal of a browser-facing step (authorize, device approval): an OAuth error code (RFC 6749
 * §4.1.2.1) and a description whose first word names the field at fault. The developer API turns
 * it into a 400; the sign-in pages redirect it to the client when `redirectable`, or show it when
 * the client or its redirect URI is itself in doubt (RFC 6749 forbids redirecting then).
 */
export type OAuthFlowErrorCode = "invalid_request" | "unauthorized_client" | "invalid_scope" | "access_denied";

export class OAuthFlowError extends Error {
  override name = "OAuthFlowError";

  constructor(
    readonly error: OAuthFlowErrorCode,
    readonly description: string,
    readonly redirectable: boolean,
  ) {
    super(`${error}: ${description}`);
  }
}

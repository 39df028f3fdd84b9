/**
 * Every error the emulator can put on the wire, in one place.
 *
 * Model exceptions (the SSO OIDC service model) travel as AWS sends them: the model's HTTP status,
 * `x-amzn-errortype: <ExceptionName>` and a JSON body with the OAuth `error` code and
 * `error_description`. Protocol errors (SigV4, serialization, routing, size) are raised by AWS's
 * front door before the service sees the request and carry `{"message": ...}` instead.
 */

/** Model exception name → [HTTP status, OAuth error code]. */
export const MODEL_EXCEPTIONS = {
  InvalidRequestException: [400, "invalid_request"],
  InvalidClientException: [401, "invalid_client"],
  InvalidGrantException: [400, "invalid_grant"],
  UnauthorizedClientException: [400, "unauthorized_client"],
  UnsupportedGrantTypeException: [400, "unsupported_grant_type"],
  InvalidScopeException: [400, "invalid_scope"],
  AuthorizationPendingException: [400, "authorization_pending"],
  SlowDownException: [400, "slow_down"],
  AccessDeniedException: [400, "access_denied"],
  ExpiredTokenException: [400, "expired_token"],
  InternalServerException: [500, "server_error"],
  InvalidRequestRegionException: [400, "invalid_request"],
  InvalidClientMetadataException: [400, "invalid_client_metadata"],
  InvalidRedirectUriException: [400, "invalid_redirect_uri"],
} as const satisfies Record<string, readonly [number, string]>;

export type ModelExceptionName = keyof typeof MODEL_EXCEPTIONS;

export const MODEL_EXCEPTION_NAMES = Object.keys(MODEL_EXCEPTIONS) as ModelExceptionName[];

export function isModelExceptionName(name: string): name is ModelExceptionName {
  return Object.hasOwn(MODEL_EXCEPTIONS, name);
}

/** Extra members some exceptions carry in the model. */
export interface ModelExceptionExtras {
  reason?: string;
  endpoint?: string;
  region?: string;
}

/** An error answer, ready to be written: thrown by handlers, caught once by the server. */
export class WireError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    readonly body: Record<string, unknown>,
  ) {
    super(`${errorType} (${status})`);
    this.name = "WireError";
  }
}

/** A model exception, e.g. `oidcError("InvalidGrantException", "Invalid authorization code")`. */
export function oidcError(
  name: ModelExceptionName,
  description: string,
  extras: ModelExceptionExtras = {},
): WireError {
  const [status, error] = MODEL_EXCEPTIONS[name];
  const body: Record<string, unknown> = { error, error_description: description };
  if (extras.reason !== undefined) body.reason = extras.reason;
  if (extras.endpoint !== undefined) body.endpoint = extras.endpoint;
  if (extras.region !== undefined) body.region = extras.region;
  return new WireError(status, name, body);
}

/** Errors raised before the service (SigV4, serialization, routing, limits). */
export type ProtocolErrorType =
  | "MissingAuthenticationTokenException"
  | "IncompleteSignatureException"
  | "UnrecognizedClientException"
  | "InvalidSignatureException"
  | "ExpiredTokenException"
  | "SerializationException"
  | "UnknownOperationException"
  | "RequestEntityTooLargeException";

const PROTOCOL_STATUS: Record<ProtocolErrorType, number> = {
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ExpiredTokenException: 403,
  SerializationException: 400,
  UnknownOperationException: 404,
  RequestEntityTooLargeException: 413,
};

export function protocolError(type: ProtocolErrorType, message: string): WireError {
  return new WireError(PROTOCOL_STATUS[type], type, { message });
}

/** Shorthand for the most common failure: a required or typed member is wrong. */
export function invalidRequest(description: string): WireError {
  return oidcError("InvalidRequestException", description);
}

/**
 * The closed table of error codes the gateway answers with (`extensions.code`).
 * Codes are part of the public API: they are listed in the README, and a test keeps
 * the README's table and this one in sync. Add a code here or nowhere.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { httpStatus: 400, retryable: false, message: "The request was rejected by the gateway's input validation." },
  INVALID_GRANT: { httpStatus: 400, retryable: false, message: "The grant is invalid, expired, revoked or was issued to another client." },
  INVALID_CLIENT: { httpStatus: 401, retryable: false, message: "The client (application) is not valid for this request." },
  INVALID_REQUEST: { httpStatus: 400, retryable: false, message: "The request is missing a required parameter or is malformed." },
  INVALID_SCOPE: { httpStatus: 400, retryable: false, message: "A requested scope is not allowed for this application." },
  UNAUTHORIZED_CLIENT: { httpStatus: 400, retryable: false, message: "The application is not authorized to use this grant type." },
  UNSUPPORTED_GRANT_TYPE: { httpStatus: 400, retryable: false, message: "The grant type is not supported by this application." },
  ACCESS_DENIED: { httpStatus: 403, retryable: false, message: "Access was denied." },
  EXPIRED_TOKEN: { httpStatus: 400, retryable: false, message: "The token has expired." },
  AUTHORIZATION_PENDING: { httpStatus: 400, retryable: true, message: "The authorization is still pending." },
  SLOW_DOWN: { httpStatus: 429, retryable: true, message: "Too many requests to Identity Center; slow down." },
  INVALID_REQUEST_REGION: { httpStatus: 400, retryable: false, message: "The request was sent to the wrong region for this Identity Center instance." },
  UPSTREAM_SERVER_ERROR: { httpStatus: 502, retryable: true, message: "Identity Center reported an internal error." },
  UPSTREAM_UNAVAILABLE: { httpStatus: 503, retryable: true, message: "Identity Center could not be reached in time." },
  GATEWAY_CREDENTIALS_INVALID: { httpStatus: 503, retryable: false, message: "The gateway's own AWS credentials are missing or were rejected by AWS; an operator must fix them (see /readyz)." },
  UNAUTHENTICATED: { httpStatus: 401, retryable: false, message: "There is no live session: sign in again (session mode)." },
  FORBIDDEN: { httpStatus: 403, retryable: false, message: "This request may not use the session: it needs the header x-idc-csrf: 1 and an origin in CORS_ORIGINS (session mode)." },
  SESSION_STORE_UNAVAILABLE: { httpStatus: 503, retryable: true, message: "The session store (Redis) cannot be reached right now; the session is kept: retry shortly." },
  RATE_LIMITED: { httpStatus: 429, retryable: true, message: "Too many requests; retry later." },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, retryable: false, message: "The request body is larger than MAX_BODY_BYTES." },
  INTERNAL_SERVER_ERROR: { httpStatus: 500, retryable: false, message: "Internal server error." },
} as const satisfies Record<string, { httpStatus: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GatewayErrorDetails {
  /** The input field at fault (BAD_USER_INPUT), e.g. `input.assertion`. Never its value. */
  field?: string;
  /** AWS's `error_description`, passed through: it never contains the secret itself. */
  awsErrorDescription?: string;
  /** AWS's exception name, e.g. `InvalidGrantException`. */
  awsException?: string;
  /** AWS's request id, for support cases. */
  awsRequestId?: string;
  /** Seconds after which a retry may succeed (RATE_LIMITED, SLOW_DOWN). */
  retryAfterSeconds?: number;
}

/**
 * An error the gateway means to show its caller. Layers below `server/` throw this and
 * nothing GraphQL-specific; the server's one normalizer turns it into a GraphQL error with
 * `extensions.code`. Anything thrown that is not a GatewayError is masked as INTERNAL_SERVER_ERROR.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: GatewayErrorDetails;

  constructor(code: ErrorCode, message: string = ERROR_CODES[code].message, details: GatewayErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GatewayError";
    this.code = code;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = details;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

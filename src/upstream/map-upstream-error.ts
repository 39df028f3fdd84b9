import { GatewayError, isGatewayError, type ErrorCode, type GatewayErrorDetails } from "../errors/error-codes.js";
import { stsRefusalMessage, stsRefusedMember } from "./sts-refused-member.js";

/**
 * THE table: every exception of the SSO OIDC model → the gateway's error code. The only place
 * that knows AWS's exception names. Keep it in sync with the model (a unit test constructs every
 * exception class of @aws-sdk/client-sso-oidc and fails on one missing here).
 */
export const SSO_OIDC_EXCEPTION_CODES = {
  InvalidGrantException: "INVALID_GRANT",
  InvalidClientException: "INVALID_CLIENT",
  InvalidRequestException: "INVALID_REQUEST",
  InvalidScopeException: "INVALID_SCOPE",
  UnauthorizedClientException: "UNAUTHORIZED_CLIENT",
  UnsupportedGrantTypeException: "UNSUPPORTED_GRANT_TYPE",
  AccessDeniedException: "ACCESS_DENIED",
  ExpiredTokenException: "EXPIRED_TOKEN",
  AuthorizationPendingException: "AUTHORIZATION_PENDING",
  SlowDownException: "SLOW_DOWN",
  InvalidRequestRegionException: "INVALID_REQUEST_REGION",
  InternalServerException: "UPSTREAM_SERVER_ERROR",
  // RegisterClient's exceptions: CreateTokenWithIAM does not raise them, but the model has them.
  InvalidClientMetadataException: "INVALID_CLIENT",
  InvalidRedirectUriException: "INVALID_REQUEST",
} as const satisfies Record<string, ErrorCode>;

/**
 * STS's answers to AssumeRole (botocore's `sts/2011-06-15` model, plus the errors every AWS Query
 * service answers) → the gateway's error code. STS carries no OAuth error, so each maps to the
 * code a caller acts on the same way:
 * - `AccessDenied`: the role's trust policy does not let the gateway assume it (or set the
 *   Identity Center context): ACCESS_DENIED, whatever its HTTP 403 says about credentials.
 * - `ExpiredTokenException`: the identity context's Identity Center session has ended: EXPIRED_TOKEN.
 * - `InvalidParameterValue`, `ValidationError`: STS refused the context assertion or the duration
 *   (e.g. above the role's own maximum): INVALID_REQUEST.
 * - `RegionDisabledException`: STS is not activated in the gateway's region: INVALID_REQUEST_REGION.
 * - `MalformedPolicyDocument`, `PackedPolicyTooLarge`: the session's packed context is refused: INVALID_REQUEST.
 * - `Throttling`: SLOW_DOWN; `InternalFailure`: UPSTREAM_SERVER_ERROR; `ServiceUnavailable`: UPSTREAM_UNAVAILABLE.
 * STS's messages are never passed on: they name the gateway's own principal and account. The member
 * STS refused (sts-refused-member.ts) is named in `field`, as the request's member name (identityContext,
 * roleArn, durationSeconds): the credentials layer names it as its caller wrote it.
 */
export const STS_EXCEPTION_CODES = {
  // AssumeRole's modeled exceptions, under the names the JS SDK gives them (the wire says
  // `MalformedPolicyDocument`, `PackedPolicyTooLarge`: the SDK maps those codes to these classes).
  ExpiredTokenException: "EXPIRED_TOKEN",
  MalformedPolicyDocumentException: "INVALID_REQUEST",
  PackedPolicyTooLargeException: "INVALID_REQUEST",
  RegionDisabledException: "INVALID_REQUEST_REGION",
  // Errors every Query-protocol service answers: the SDK names them by their wire code.
  AccessDenied: "ACCESS_DENIED",
  InvalidParameterValue: "INVALID_REQUEST",
  ValidationError: "INVALID_REQUEST",
  Throttling: "SLOW_DOWN",
  InternalFailure: "UPSTREAM_SERVER_ERROR",
  ServiceUnavailable: "UPSTREAM_UNAVAILABLE",
} as const satisfies Record<string, ErrorCode>;

/** What an STS refusal means for the caller of identity-enhanced credentials (the table's messages speak of Identity Center). */
const STS_MESSAGES: Partial<Record<ErrorCode, string>> = {
  ACCESS_DENIED: "The role's trust policy does not let the gateway assume it with the user's identity context (it must allow sts:AssumeRole and sts:SetContext).",
  EXPIRED_TOKEN: "The identity context has expired: its Identity Center session has ended. Sign in or refresh the tokens, then use the new identity context.",
  INVALID_REQUEST: "STS refused the identity context or the session length (e.g. longer than the role's maximum session duration).",
  INVALID_REQUEST_REGION: "STS is not activated in the gateway's region for the role's account.",
  SLOW_DOWN: "Too many requests to STS; slow down.",
  UPSTREAM_SERVER_ERROR: "STS reported an internal error.",
  UPSTREAM_UNAVAILABLE: "STS could not be reached in time.",
};

/** Which AWS service answered: each has its own exception names. */
export type UpstreamService = "sso-oidc" | "sts";

/**
 * Exceptions AWS's front end raises before SSO OIDC sees the request (the gateway's own IAM
 * credentials or signature are wrong), and the SDK's error when the credential chain finds no
 * credentials at all. The caller cannot fix either: GATEWAY_CREDENTIALS_INVALID (see credential-health.ts).
 */
export const GATEWAY_CREDENTIAL_EXCEPTIONS = [
  "InvalidSignatureException",
  "UnrecognizedClientException",
  "MissingAuthenticationTokenException",
  "IncompleteSignatureException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  // STS's front end: the gateway's own temporary credentials have expired.
  "ExpiredToken",
  "CredentialsProviderError",
] as const;

/** Throttling raised by AWS's front end (not the modeled SlowDownException). */
const THROTTLING_EXCEPTIONS = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException"]);

/** Errors that mean "no answer in time / no connection", from node:http and the SDK's handler. */
const UNREACHABLE_ERROR_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const UNREACHABLE_ERROR_CODES = new Set([
  "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED",
  "UND_ERR_SOCKET", "ERR_HTTP2_STREAM_ERROR",
]);

interface AwsLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  error_description?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

/** Maps anything the SDK throws to a GatewayError. Never throws; never copies a message that could hold input. */
export function mapUpstreamError(err: unknown, service: UpstreamService = "sso-oidc"): GatewayError {
  if (isGatewayError(err)) return err;
  const error = (typeof err === "object" && err !== null ? err : {}) as AwsLikeError;
  const code = classify(error, service);
  const details = detailsOf(error, code);
  if (service !== "sts") return new GatewayError(code, undefined, details, { cause: err });
  const name = typeof error.name === "string" ? error.name : "";
  const member = Object.hasOwn(STS_EXCEPTION_CODES, name) ? stsRefusedMember(name, typeof error.message === "string" ? error.message : "") : undefined;
  if (member !== undefined) details.field = member;
  return new GatewayError(code, stsRefusalMessage(code, member) ?? STS_MESSAGES[code], details, { cause: err });
}

function classify(error: AwsLikeError, service: UpstreamService): ErrorCode {
  const name = typeof error.name === "string" ? error.name : "";
  const status = error.$metadata?.httpStatusCode;
  // STS answers AccessDenied and RegionDisabledException with HTTP 403 too: its table goes first.
  if (service === "sts" && Object.hasOwn(STS_EXCEPTION_CODES, name)) return STS_EXCEPTION_CODES[name as keyof typeof STS_EXCEPTION_CODES];
  // A 403 is IAM refusing the gateway's own credentials or permissions, whatever the exception is called.
  if (status === 403 || (GATEWAY_CREDENTIAL_EXCEPTIONS as readonly string[]).includes(name)) return "GATEWAY_CREDENTIALS_INVALID";
  if (Object.hasOwn(SSO_OIDC_EXCEPTION_CODES, name)) return SSO_OIDC_EXCEPTION_CODES[name as keyof typeof SSO_OIDC_EXCEPTION_CODES];
  if (THROTTLING_EXCEPTIONS.has(name) || status === 429) return "SLOW_DOWN";
  if (status !== undefined && status >= 500) return "UPSTREAM_UNAVAILABLE";
  if (isUnreachable(error, 0)) return "UPSTREAM_UNAVAILABLE";
  // Any other 4xx (e.g. SerializationException) means the gateway sent something AWS cannot read.
  return "INTERNAL_SERVER_ERROR";
}

function isUnreachable(error: AwsLikeError, depth: number): boolean {
  if ((typeof error.name === "string" && UNREACHABLE_ERROR_NAMES.has(error.name)) || (typeof error.code === "string" && UNREACHABLE_ERROR_CODES.has(error.code))) {
    return true;
  }
  return depth < 5 && typeof error.cause === "object" && error.cause !== null && isUnreachable(error.cause as AwsLikeError, depth + 1);
}

function detailsOf(error: AwsLikeError, code: ErrorCode): GatewayErrorDetails {
  const details: GatewayErrorDetails = {};
  // The gateway's own credentials: the caller gets the code and AWS's request id; the cause goes to /readyz and the log.
  if (code === "GATEWAY_CREDENTIALS_INVALID") {
    if (typeof error.$metadata?.requestId === "string") details.awsRequestId = error.$metadata.requestId;
    return details;
  }
  if (error.$metadata !== undefined && typeof error.name === "string") details.awsException = error.name;
  if (typeof error.error_description === "string") details.awsErrorDescription = error.error_description;
  if (typeof error.$metadata?.requestId === "string") details.awsRequestId = error.$metadata.requestId;
  if (code === "SLOW_DOWN") {
    const retryAfter = Number(error.$response?.headers?.["retry-after"]);
    if (Number.isFinite(retryAfter) && retryAfter >= 0) details.retryAfterSeconds = retryAfter;
  }
  return details;
}

/** Why the gateway's own credentials failed: a stable cause (the log's once-per-cause key) and one sentence for /readyz and the log. */
export interface CredentialProblem {
  cause: "missing" | "unrecognized-key" | "bad-signature" | "expired" | "access-denied" | "rejected";
  reason: string;
}

/** Names the cause of a GATEWAY_CREDENTIALS_INVALID from the raw SDK error (its `cause`). No secret is read. */
export function describeCredentialProblem(raw: unknown): CredentialProblem {
  const error = (typeof raw === "object" && raw !== null ? raw : {}) as AwsLikeError;
  const name = typeof error.name === "string" ? error.name : "Error";
  const status = error.$metadata?.httpStatusCode;
  const said = status === undefined ? name : `${name}, HTTP ${status}`;
  if (error.$metadata === undefined) {
    // The chain failed before any request was signed: nothing reached AWS. The provider's message is
    // not copied: a credential_process failure quotes its command line and output, which may hold a secret.
    return {
      cause: "missing",
      reason: `no AWS credentials: the SDK's default credential chain found none (${name}); nothing was sent to AWS. Provide them by environment variables, shared files or profile, or a container, web-identity or instance role`,
    };
  }
  switch (name) {
    case "UnrecognizedClientException":
    case "InvalidClientTokenId":
      return { cause: "unrecognized-key", reason: `AWS does not recognise the gateway's access key id (${said}): it is wrong, deleted or belongs to another partition` };
    case "InvalidSignatureException":
    case "SignatureDoesNotMatch":
    case "IncompleteSignatureException":
    case "MissingAuthenticationTokenException":
      return { cause: "bad-signature", reason: `AWS rejected the gateway's request signature (${said}): the secret access key does not match the access key id, or the clock is off` };
    case "ExpiredTokenException":
    case "ExpiredToken":
      return { cause: "expired", reason: `the gateway's temporary AWS credentials have expired (${said})` };
    case "AccessDeniedException":
      return { cause: "access-denied", reason: `AWS denied the gateway's own principal (${said}): its IAM policy must allow sso-oauth:CreateTokenWithIAM` };
    default:
      return { cause: "rejected", reason: `AWS refused the gateway's own credentials (${said})` };
  }
}

import { ERROR_CODES, GatewayError, isGatewayError, type ErrorCode, type GatewayErrorDetails } from "../errors/error-codes.js";

/**
 * A leader's failure as it travels to followers (possibly in other processes): plain JSON,
 * never a stack or a cause. Messages of GatewayErrors never hold a secret, by contract.
 */
export interface SharedError {
  code: string;
  message: string;
  details?: GatewayErrorDetails;
}

/** Default: every error is handed off; anything that is not a GatewayError travels as INTERNAL_SERVER_ERROR. */
export function shareGatewayError(error: unknown): SharedError {
  if (isGatewayError(error)) return { code: error.code, message: error.message, details: error.details };
  return { code: "INTERNAL_SERVER_ERROR", message: ERROR_CODES.INTERNAL_SERVER_ERROR.message };
}

/** Default: the follower throws a GatewayError with the leader's code, message and details. */
export function restoreGatewayError(shared: SharedError): Error {
  if (!Object.hasOwn(ERROR_CODES, shared.code)) return new GatewayError("INTERNAL_SERVER_ERROR");
  return new GatewayError(shared.code as ErrorCode, shared.message, pickDetails(shared.details));
}

function pickDetails(details: GatewayErrorDetails | undefined): GatewayErrorDetails {
  const picked: GatewayErrorDetails = {};
  if (typeof details?.field === "string") picked.field = details.field;
  if (typeof details?.awsErrorDescription === "string") picked.awsErrorDescription = details.awsErrorDescription;
  if (typeof details?.awsException === "string") picked.awsException = details.awsException;
  if (typeof details?.awsRequestId === "string") picked.awsRequestId = details.awsRequestId;
  if (typeof details?.retryAfterSeconds === "number") picked.retryAfterSeconds = details.retryAfterSeconds;
  return picked;
}

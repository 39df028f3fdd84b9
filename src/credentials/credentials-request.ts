import type { CredentialsConfig } from "../config/config.types.js";
import { GatewayError } from "../errors/error-codes.js";
import type { CredentialsRequest, FieldPrefix } from "./credentials.types.js";

/** STS's bounds for a context assertion (botocore's STS model: ProvidedContext.ContextAssertion). */
export const IDENTITY_CONTEXT_LENGTH = { min: 4, max: 2048 } as const;
/** STS's shortest role session. */
export const MIN_DURATION_SECONDS = 900;
/**
 * Session lengths go in steps of five minutes: each distinct length is its own STS call and cache
 * entry, and a caller varying it second by second could otherwise make thousands of them from one
 * identity context.
 */
export const DURATION_STEP_SECONDS = 300;
/** AWS's default session length, used when the configured maximum allows it. */
const DEFAULT_DURATION_SECONDS = 3600;

export interface ValidCredentialsRequest {
  identityContext: string;
  roleArn: string;
  durationSeconds: number;
}

/** The feature's settings when the configuration has none (hand-built configs): off. */
export const CREDENTIALS_OFF: CredentialsConfig = { allowedRoleArns: [], defaultRoleArn: undefined, maxDurationSeconds: DEFAULT_DURATION_SECONDS, stsEndpoint: undefined };

function badInput(field: string, message: string): GatewayError {
  return new GatewayError("BAD_USER_INPUT", message, { field });
}

/**
 * Checks a request against the gateway's own rules before any STS call: the identity context's
 * size (STS's), the role against ALLOWED_ROLE_ARNS, the duration from 900 s to
 * CREDENTIALS_MAX_DURATION_SECONDS. Errors name the field, never echo the identity context.
 */
export function validateCredentialsRequest(request: CredentialsRequest, config: CredentialsConfig, prefix: FieldPrefix): ValidCredentialsRequest {
  const { identityContext } = request;
  if (typeof identityContext !== "string" || identityContext.length < IDENTITY_CONTEXT_LENGTH.min || identityContext.length > IDENTITY_CONTEXT_LENGTH.max) {
    throw badInput(`${prefix}identityContext`, `identityContext must be an Identity Center identity context (awsAdditionalDetails.identityContext) of ${IDENTITY_CONTEXT_LENGTH.min} to ${IDENTITY_CONTEXT_LENGTH.max} characters.`);
  }
  return { identityContext, roleArn: roleOf(request.roleArn, config, prefix), durationSeconds: durationOf(request.durationSeconds, config, prefix) };
}

function roleOf(roleArn: string | null | undefined, config: CredentialsConfig, prefix: FieldPrefix): string {
  const field = `${prefix}roleArn`;
  if (config.allowedRoleArns.length === 0) {
    throw badInput(field, "Identity-enhanced credentials are not configured on this gateway: an operator sets DEFAULT_ROLE_ARN (and ALLOWED_ROLE_ARNS).");
  }
  if (roleArn === null || roleArn === undefined) {
    if (config.defaultRoleArn === undefined) throw badInput(field, "roleArn is required: this gateway has no DEFAULT_ROLE_ARN. Name one of its ALLOWED_ROLE_ARNS.");
    return config.defaultRoleArn;
  }
  const allowed = config.allowedRoleArns.indexOf(roleArn);
  if (allowed < 0) throw badInput(field, "roleArn is not one of the roles this gateway may assume (ALLOWED_ROLE_ARNS).");
  // The configuration's own string: a literal in the query is a slice of the document's text, which cached credentials would keep alive.
  return config.allowedRoleArns[allowed] as string;
}

function durationOf(seconds: number | null | undefined, config: CredentialsConfig, prefix: FieldPrefix): number {
  if (seconds === null || seconds === undefined) {
    // The default, on the step grid: one hour, or the configured maximum rounded down to a step when lower.
    return Math.min(DEFAULT_DURATION_SECONDS, config.maxDurationSeconds - (config.maxDurationSeconds % DURATION_STEP_SECONDS));
  }
  // The step also refuses a fraction (GraphQL's Int has none anyway): no separate integer check.
  if (seconds < MIN_DURATION_SECONDS || seconds > config.maxDurationSeconds || seconds % DURATION_STEP_SECONDS !== 0) {
    throw badInput(
      `${prefix}durationSeconds`,
      `durationSeconds must be a multiple of ${DURATION_STEP_SECONDS} from ${MIN_DURATION_SECONDS} to ${config.maxDurationSeconds} (CREDENTIALS_MAX_DURATION_SECONDS).`,
    );
  }
  return seconds;
}

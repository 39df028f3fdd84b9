import { GatewayError, isGatewayError } from "../errors/error-codes.js";
import type { FieldPrefix } from "./credentials.types.js";

/** The members of the AssumeRole request an STS refusal may name (src/upstream/sts-refused-member.ts). */
const STS_MEMBERS: ReadonlySet<string> = new Set(["identityContext", "roleArn", "durationSeconds"]);

/**
 * STS's refusal names the member of the request it refused; the caller wrote it as `input.<member>`
 * (assumeRoleWithIdentityContext) or as an argument of `awsCredentials`, whose identity context came
 * with the tokens (named `awsCredentials`, as its other refusals are). Named here, at the request's
 * edge: a refusal shared by single-flight or remembered for the next caller may reach either.
 */
export function namedAsWritten(error: unknown, prefix: FieldPrefix): unknown {
  const member = isGatewayError(error) ? error.details.field : undefined;
  if (!isGatewayError(error) || member === undefined || !STS_MEMBERS.has(member)) return error;
  const field = prefix === "input." ? `input.${member}` : member === "identityContext" ? "awsCredentials" : member;
  return new GatewayError(error.code, error.message, { ...error.details, field }, { cause: error });
}

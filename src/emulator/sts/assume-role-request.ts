/**
 * AssumeRole's members, read from the query body and checked against the model's constraints
 * (botocore's `sts/2011-06-15`): violations are ValidationError in AWS's wording.
 */
import { readStructureList, type QueryInput } from "./query-input.js";
import { validationError } from "./sts-errors.js";

export const IDENTITY_CENTER_PROVIDER_ARN = "arn:aws:iam::aws:contextProvider/IdentityCenter";
export const DEFAULT_DURATION_SECONDS = 3600;

export interface ProvidedContext {
  providerArn: string;
  contextAssertion: string;
}

export interface AssumeRoleRequest {
  roleArn: string;
  roleSessionName: string;
  durationSeconds: number;
  /** Undefined when the request has no ProvidedContexts. */
  providedContexts: ProvidedContext[] | undefined;
}

function lengthBetween(member: string, value: string | undefined, min: number, max: number, secret = false): string {
  if (value === undefined) throw validationError(member, value, "Member must not be null", secret);
  if (value.length < min) throw validationError(member, value, `Member must have length greater than or equal to ${min}`, secret);
  if (value.length > max) throw validationError(member, value, `Member must have length less than or equal to ${max}`, secret);
  return value;
}

function readDuration(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_DURATION_SECONDS;
  if (!/^-?\d{1,10}$/.test(raw)) throw validationError("durationSeconds", raw, "Member must be an integer");
  const seconds = Number(raw);
  if (seconds < 900) throw validationError("durationSeconds", raw, "Member must have value greater than or equal to 900");
  if (seconds > 43200) throw validationError("durationSeconds", raw, "Member must have value less than or equal to 43200");
  return seconds;
}

function readProvidedContexts(input: QueryInput): ProvidedContext[] | undefined {
  const list = readStructureList(input, "ProvidedContexts", ["ProviderArn", "ContextAssertion"]);
  if (list === undefined) return undefined;
  if (list.length < 1) throw validationError("providedContexts", "[]", "Member must have length greater than or equal to 1");
  if (list.length > 5) throw validationError("providedContexts", `${list.length} entries`, "Member must have length less than or equal to 5");
  return list.map((entry, i) => ({
    providerArn: lengthBetween(`providedContexts.${i + 1}.member.providerArn`, entry.ProviderArn, 20, 2048),
    contextAssertion: lengthBetween(`providedContexts.${i + 1}.member.contextAssertion`, entry.ContextAssertion, 4, 2048, true),
  }));
}

export function readAssumeRoleRequest(input: QueryInput): AssumeRoleRequest {
  const roleArn = lengthBetween("roleArn", input.get("RoleArn") ?? undefined, 20, 2048);
  const roleSessionName = lengthBetween("roleSessionName", input.get("RoleSessionName") ?? undefined, 2, 64);
  if (!/^[\w+=,.@-]*$/.test(roleSessionName)) {
    throw validationError("roleSessionName", roleSessionName, "Member must satisfy regular expression pattern: [\\w+=,.@-]*");
  }
  return {
    roleArn,
    roleSessionName,
    durationSeconds: readDuration(input.get("DurationSeconds") ?? undefined),
    providedContexts: readProvidedContexts(input),
  };
}

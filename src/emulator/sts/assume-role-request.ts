/**
 * AssumeRole's members, read from the query body and checked against the model's constraints
 * (botocore's `sts/2011-06-15`): violations are ValidationError in AWS's wording. Members the
 * emulator does not act on (session policies, tags, external id, MFA, source identity) are still
 * checked, since AWS refuses a request that breaks them whatever the role's policies say; an inline
 * session policy that is not a JSON object is the model's MalformedPolicyDocument.
 */
import { readStringList, readStructureList, type QueryInput } from "./query-input.js";
import { stsError, Violations } from "./sts-errors.js";

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
  /** Echoed in the answer, as AWS does. */
  sourceIdentity: string | undefined;
}

/** A string type of the model: its length bounds and pattern (the model's, as AWS quotes it). */
interface StringConstraint {
  min: number;
  max?: number;
  pattern?: { regex: RegExp; text: string };
}

const pattern = (regex: RegExp, text: string) => ({ regex, text });

const ARN_TYPE: StringConstraint = {
  min: 20,
  max: 2048,
  pattern: pattern(
    /^[\t\n\r\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u,
    "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+",
  ),
};
const ROLE_SESSION_NAME: StringConstraint = { min: 2, max: 64, pattern: pattern(/^[\w+=,.@-]*$/, "[\\w+=,.@-]*") };
const SESSION_POLICY: StringConstraint = { min: 1, max: 2048, pattern: pattern(/^[\t\n\r\u0020-\u00FF]+$/, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+") };
const TAG_KEY: StringConstraint = { min: 1, max: 128, pattern: pattern(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+") };
const TAG_VALUE: StringConstraint = { min: 0, max: 256, pattern: pattern(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*") };
const EXTERNAL_ID: StringConstraint = { min: 2, max: 1224, pattern: pattern(/^[\w+=,.@:/-]*$/, "[\\w+=,.@:\\/-]*") };
const SERIAL_NUMBER: StringConstraint = { min: 9, max: 256, pattern: pattern(/^[\w+=/:,.@-]*$/, "[\\w+=/:,.@-]*") };
const TOKEN_CODE: StringConstraint = { min: 6, max: 6, pattern: pattern(/^\d*$/, "[\\d]*") };
const SOURCE_IDENTITY: StringConstraint = ROLE_SESSION_NAME;
const CONTEXT_ASSERTION: StringConstraint = { min: 4, max: 2048 };
const MAX_TAGS = 50;

/** Checks a member against its type; length counts characters (code points), as AWS's validator does. */
function checkString(found: Violations, member: string, value: string, type: StringConstraint, secret = false): string {
  const length = [...value].length;
  if (length < type.min) found.add(member, value, `Member must have length greater than or equal to ${type.min}`, secret);
  if (type.max !== undefined && length > type.max) found.add(member, value, `Member must have length less than or equal to ${type.max}`, secret);
  if (type.pattern !== undefined && !type.pattern.regex.test(value)) {
    found.add(member, value, `Member must satisfy regular expression pattern: ${type.pattern.text}`, secret);
  }
  return value;
}

function required(found: Violations, member: string, value: string | null, type: StringConstraint, secret = false): string {
  if (value === null) {
    found.add(member, undefined, "Member must not be null", secret);
    return "";
  }
  return checkString(found, member, value, type, secret);
}

function optional(found: Violations, member: string, value: string | null, type: StringConstraint): string | undefined {
  return value === null ? undefined : checkString(found, member, value, type);
}

function readDuration(found: Violations, raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_DURATION_SECONDS;
  if (!/^-?\d{1,10}$/.test(raw)) {
    found.add("durationSeconds", raw, "Member must be an integer");
    return DEFAULT_DURATION_SECONDS;
  }
  const seconds = Number(raw);
  if (seconds < 900) found.add("durationSeconds", raw, "Member must have value greater than or equal to 900");
  if (seconds > 43200) found.add("durationSeconds", raw, "Member must have value less than or equal to 43200");
  return seconds;
}

function listMember(list: string, n: number, field: string): string {
  return `${list}.${n}.member.${field}`;
}

/** A list member's length bounds, as the model states them. */
function checkListLength(found: Violations, member: string, length: number, min: number, max: number): void {
  if (length < min) found.add(member, "[]", `Member must have length greater than or equal to ${min}`);
  if (length > max) found.add(member, `${length} entries`, `Member must have length less than or equal to ${max}`);
}

function readProvidedContexts(found: Violations, input: QueryInput): ProvidedContext[] | undefined {
  const list = readStructureList(input, "ProvidedContexts", ["ProviderArn", "ContextAssertion"]);
  if (list === undefined) return undefined;
  checkListLength(found, "providedContexts", list.length, 1, 5);
  // Entries past the list's bound are not checked one by one: the list's own violation says enough.
  return list.slice(0, 5).map((entry, i) => ({
    providerArn: required(found, listMember("providedContexts", i + 1, "providerArn"), entry.ProviderArn ?? null, ARN_TYPE),
    contextAssertion: required(found, listMember("providedContexts", i + 1, "contextAssertion"), entry.ContextAssertion ?? null, CONTEXT_ASSERTION, true),
  }));
}

/** Session policies and tags: checked, then ignored (the emulator evaluates no policies). The inline policy, for MalformedPolicyDocument. */
function checkSessionPoliciesAndTags(found: Violations, input: QueryInput): string | undefined {
  const policy = optional(found, "policy", input.get("Policy"), SESSION_POLICY);
  (readStructureList(input, "PolicyArns", ["arn"]) ?? []).forEach((entry, i) => {
    required(found, listMember("policyArns", i + 1, "arn"), entry.arn ?? null, ARN_TYPE);
  });
  const tags = readStructureList(input, "Tags", ["Key", "Value"]) ?? [];
  checkListLength(found, "tags", tags.length, 0, MAX_TAGS);
  tags.slice(0, MAX_TAGS).forEach((tag, i) => {
    required(found, listMember("tags", i + 1, "key"), tag.Key ?? null, TAG_KEY);
    required(found, listMember("tags", i + 1, "value"), tag.Value ?? null, TAG_VALUE);
  });
  const transitive = readStringList(input, "TransitiveTagKeys") ?? [];
  checkListLength(found, "transitiveTagKeys", transitive.length, 0, MAX_TAGS);
  transitive.slice(0, MAX_TAGS).forEach((key, i) => checkString(found, `transitiveTagKeys.${i + 1}.member`, key, TAG_KEY));
  return policy;
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * Every member checked before any is refused: one ValidationError lists all the violations, as AWS's does.
 * A session policy that is not a JSON object is MalformedPolicyDocument, for a request whose members are valid.
 */
export function readAssumeRoleRequest(input: QueryInput): AssumeRoleRequest {
  const found = new Violations();
  const roleArn = required(found, "roleArn", input.get("RoleArn"), ARN_TYPE);
  const roleSessionName = required(found, "roleSessionName", input.get("RoleSessionName"), ROLE_SESSION_NAME);
  const durationSeconds = readDuration(found, input.get("DurationSeconds") ?? undefined);
  optional(found, "externalId", input.get("ExternalId"), EXTERNAL_ID);
  optional(found, "serialNumber", input.get("SerialNumber"), SERIAL_NUMBER);
  optional(found, "tokenCode", input.get("TokenCode"), TOKEN_CODE);
  const sourceIdentity = optional(found, "sourceIdentity", input.get("SourceIdentity"), SOURCE_IDENTITY);
  const providedContexts = readProvidedContexts(found, input);
  const policy = checkSessionPoliciesAndTags(found, input);
  found.throwIfAny();
  if (policy !== undefined && !isJsonObject(policy)) {
    throw stsError("MalformedPolicyDocument", "The policy is not in the valid JSON format.");
  }
  return { roleArn, roleSessionName, durationSeconds, providedContexts, sourceIdentity };
}

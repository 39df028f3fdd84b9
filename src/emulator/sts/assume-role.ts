/**
 * AssumeRole: checks in the order STS applies them (members → the role and its trust policy →
 * the duration → the provided context), then creates a role session whose credentials sign
 * later requests. With an Identity Center context the session carries that user.
 */
import type { RoleConfig } from "../emulator-config.js";
import type { EmulatorContext } from "../emulator-context.js";
import { readAssumeRoleRequest, IDENTITY_CENTER_PROVIDER_ARN, type ProvidedContext } from "./assume-role-request.js";
import type { Caller } from "./caller.js";
import { assumedRoleArn, newSecretAccessKey, newSessionToken, newTemporaryAccessKeyId, parseIamArn, uniqueIdOf } from "./sts-identifiers.js";
import { stsError } from "./sts-errors.js";
import type { SessionIdentity, StsSession } from "./sts-sessions.js";
import type { QueryInput } from "./query-input.js";
import type { XmlFields } from "./sts-xml.js";

/** Role chaining (assumed-role credentials calling AssumeRole) caps a session at one hour. */
const ROLE_CHAINING_LIMIT_SECONDS = 3600;

function notAuthorized(caller: Caller, action: "sts:AssumeRole" | "sts:SetContext", roleArn: string) {
  return stsError("AccessDenied", `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`);
}

function checkDuration(role: RoleConfig, caller: Caller, seconds: number): void {
  if (caller.session !== undefined && seconds > ROLE_CHAINING_LIMIT_SECONDS) {
    throw stsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  }
  if (seconds > role.maxSessionDurationSeconds) {
    throw stsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }
}

/**
 * The Identity Center user a context assertion names. It must be one this emulator issued (an
 * `awsAdditionalDetails.identityContext`) and its sign-in must still hold a live access token.
 */
function identityOf(ctx: EmulatorContext, contexts: ProvidedContext[]): SessionIdentity {
  const [context, ...others] = contexts;
  if (others.length > 0 || context === undefined) {
    throw stsError("InvalidParameterValue", "Only one provided context per context provider is supported.");
  }
  if (context.providerArn !== IDENTITY_CENTER_PROVIDER_ARN) {
    throw stsError("InvalidParameterValue", `Unsupported context provider: ${context.providerArn.slice(0, 200)}.`);
  }
  const issued = ctx.tokens.identityContexts.get(context.contextAssertion);
  if (issued === undefined) throw stsError("InvalidParameterValue", "The provided context assertion is invalid.");
  if (issued.expiresAt <= ctx.now()) throw stsError("ExpiredTokenException", "The provided context assertion has expired.");
  return { sub: issued.session.sub, applicationArn: issued.session.clientId };
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function assumeRole(ctx: EmulatorContext, input: QueryInput, caller: Caller): XmlFields {
  const request = readAssumeRoleRequest(input);
  const role = ctx.config.roles.find((candidate) => candidate.arn === request.roleArn);
  if (role === undefined) throw notAuthorized(caller, "sts:AssumeRole", request.roleArn);
  if (request.providedContexts !== undefined && !role.allowSetContext) throw notAuthorized(caller, "sts:SetContext", role.arn);
  checkDuration(role, caller, request.durationSeconds);
  const identity = request.providedContexts === undefined ? undefined : identityOf(ctx, request.providedContexts);

  const session: StsSession = {
    accessKeyId: newTemporaryAccessKeyId(),
    secretAccessKey: newSecretAccessKey(),
    sessionToken: newSessionToken(),
    // Whole seconds, as the wire carries them: the client's view and ours expire together.
    expiresAt: Math.floor(ctx.now() / 1000) * 1000 + request.durationSeconds * 1000,
    roleArn: role.arn,
    roleSessionName: request.roleSessionName,
    assumedRoleArn: assumedRoleArn(role.arn, request.roleSessionName),
    assumedRoleId: `${uniqueIdOf("AROA", role.arn)}:${request.roleSessionName}`,
    account: parseIamArn(role.arn).account,
    identity,
  };
  ctx.sts.remember(session);
  // AWS's answer names the source identity first when the request set one.
  const sourceIdentity: XmlFields = request.sourceIdentity === undefined ? [] : [["SourceIdentity", request.sourceIdentity]];
  return [
    ...sourceIdentity,
    [
      "AssumedRoleUser",
      [
        ["AssumedRoleId", session.assumedRoleId],
        ["Arn", session.assumedRoleArn],
      ],
    ],
    [
      "Credentials",
      [
        ["AccessKeyId", session.accessKeyId],
        ["SecretAccessKey", session.secretAccessKey],
        ["SessionToken", session.sessionToken],
        ["Expiration", isoSeconds(session.expiresAt)],
      ],
    ],
  ];
}

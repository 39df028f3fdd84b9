import type { ErrorCode } from "../errors/error-codes.js";
import type { UpstreamAssumeRoleRequest } from "./upstream.types.js";

/** The members of the gateway's AssumeRole request a caller chooses (directly, or by the tokens it brings). */
export type StsRefusedMember = keyof Pick<UpstreamAssumeRoleRequest, "identityContext" | "roleArn" | "durationSeconds">;

/**
 * Which member of the request STS refused, from its exception and message (read here, never passed on:
 * STS's messages name the gateway's principal and account). STS words a session longer than the role
 * allows "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." (or "… the
 * 1 hour session limit for roles assumed by role chaining."), and a model violation names the member
 * ("Value … at 'durationSeconds' failed to satisfy constraint"). Undefined when STS names none of them.
 */
export function stsRefusedMember(exception: string, message: string): StsRefusedMember | undefined {
  switch (exception) {
    case "AccessDenied":
      // The role's trust policy refuses the gateway (or sts:SetContext): another role may not.
      return "roleArn";
    case "ExpiredTokenException":
    case "InvalidParameterValue":
      // The context assertion: expired (its Identity Center session ended) or not one STS can read.
      return "identityContext";
    case "ValidationError":
      if (/durationseconds/i.test(message)) return "durationSeconds";
      if (/providedcontexts|contextassertion/i.test(message)) return "identityContext";
      if (/rolearn/i.test(message)) return "roleArn";
      return undefined;
    default:
      return undefined;
  }
}

/** What STS refused, said for the caller of identity-enhanced credentials (the member, when known). */
export function stsRefusalMessage(code: ErrorCode, member: StsRefusedMember | undefined): string | undefined {
  if (code !== "INVALID_REQUEST") return undefined;
  switch (member) {
    case "durationSeconds":
      return "STS refused the session length: durationSeconds is longer than the role allows (its maximum session duration, or one hour when the gateway itself runs on a role). Ask for a shorter session.";
    case "identityContext":
      return "STS refused the identity context: it is not a context assertion STS accepts. Use awsAdditionalDetails.identityContext of a current createTokenWithIAM or refreshToken answer.";
    case "roleArn":
      return "STS refused the role ARN.";
    case undefined:
      return undefined;
  }
}

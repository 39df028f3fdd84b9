/**
 * Who signed an STS request: the emulator's IAM user (its base credentials) or a role session an
 * earlier AssumeRole created. Decides GetCallerIdentity's answer and whether AssumeRole chains.
 */
import type { EmulatorContext } from "../emulator-context.js";
import { parseIamArn, uniqueIdOf } from "./sts-identifiers.js";
import type { StsSession } from "./sts-sessions.js";

export interface Caller {
  arn: string;
  userId: string;
  account: string;
  /** Set when the caller signed with assumed-role credentials (AssumeRole then chains). */
  session: StsSession | undefined;
}

export function callerOf(ctx: EmulatorContext, accessKeyId: string): Caller {
  const session = ctx.sts.get(accessKeyId);
  if (session !== undefined) {
    return { arn: session.assumedRoleArn, userId: session.assumedRoleId, account: session.account, session };
  }
  const userArn = ctx.config.iamUserArn;
  return { arn: userArn, userId: uniqueIdOf("AIDA", userArn), account: parseIamArn(userArn).account, session: undefined };
}

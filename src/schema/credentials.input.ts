import { Field, InputType, Int } from "type-graphql";
import { IDENTITY_CONTEXT_LENGTH } from "../credentials/index.js";
import { Bounded } from "./input-bounds.js";

/** IAM's longest role ARN. */
const ROLE_ARN_MAX_CHARS = 2048;

@InputType("AssumeRoleWithIdentityContextInput", {
  description: "An identity context from an earlier CreateTokenWithIAMResponse, and optionally the role and session length. The gateway checks the role and duration before calling STS.",
})
export class AssumeRoleWithIdentityContextInput {
  @Bounded({ maxChars: IDENTITY_CONTEXT_LENGTH.max })
  @Field(() => String, { description: "SECRET. awsAdditionalDetails.identityContext of a CreateTokenWithIAMResponse (its Identity Center session must not have ended)." })
  identityContext!: string;

  @Bounded({ maxChars: ROLE_ARN_MAX_CHARS })
  @Field(() => String, { nullable: true, description: "The IAM role to assume: one of the gateway's ALLOWED_ROLE_ARNS. Omitted: DEFAULT_ROLE_ARN." })
  roleArn?: string | null;

  @Field(() => Int, { nullable: true, description: "Session length in seconds, from 900 to the gateway's CREDENTIALS_MAX_DURATION_SECONDS. Omitted: 3600 (or that maximum when lower)." })
  durationSeconds?: number | null;
}



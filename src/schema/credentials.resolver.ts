import { GraphQLDateTimeISO } from "graphql-scalars";
import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import type { IssuedCredentials } from "../credentials/index.js";
import { GatewayError } from "../errors/error-codes.js";
import type { IssuedToken } from "../tokens/token.types.js";
import type { GatewayContext } from "./context.js";
import { AssumeRoleWithIdentityContextInput } from "./credentials.input.js";
import { AwsCredentials } from "./credentials.type.js";
import { CreateTokenWithIAMResponse } from "./token.type.js";
import { requireSessionIdentityContext } from "./session-identity-context.js";
import { originalTokens } from "./withheld-tokens.js";

/** The arguments' descriptions, shared by every awsCredentials field. */
export const ROLE_ARN_ARG = { nullable: true, description: "The IAM role to assume: one of the gateway's ALLOWED_ROLE_ARNS. Omitted: DEFAULT_ROLE_ARN." } as const;
export const DURATION_ARG = { nullable: true, description: "Session length in seconds, from 900 to CREDENTIALS_MAX_DURATION_SECONDS. Omitted: 3600 (or that maximum when lower)." } as const;

/** Identity-enhanced credentials for the user `tokens` were issued to, or INVALID_REQUEST when AWS gave them no identity context. `fromSession`: a cookie session's tokens (checked for revocation). */
export function credentialsFor(tokens: IssuedToken, context: GatewayContext, roleArn?: string | null, durationSeconds?: number | null, fromSession = false): Promise<IssuedCredentials> {
  const identityContext = tokens.awsAdditionalDetails?.identityContext;
  if (identityContext === undefined) {
    return Promise.reject(new GatewayError(
      "INVALID_REQUEST",
      "Identity Center returned no awsAdditionalDetails.identityContext with these tokens (the application is not set up for trusted identity propagation, or the scope lacks sts:identity_context), so no identity-enhanced credentials can be made.",
      { field: "awsCredentials" },
    ));
  }
  return context.credentials.forIssuedTokens({ identityContext, clientId: tokens.clientId, ...(fromSession ? { session: tokens } : {}) }, { roleArn, durationSeconds });
}

/** `CreateTokenWithIAMResponse.awsCredentials`: resolved only when selected; identical selections share one STS call. */
@Resolver(() => CreateTokenWithIAMResponse)
export class TokenCredentialsResolver {
  @FieldResolver(() => AwsCredentials, {
    nullable: true,
    description:
      "Identity-enhanced AWS credentials for the user these tokens were issued to (STS AssumeRole with awsAdditionalDetails.identityContext), made only when this field is selected. Identical selections in one operation (aliases) cost one STS call; identical requests across callers and replicas share one too, and are cached until a renewal margin before expiration. Null with an error when AWS returned no identity context or STS refused.",
  })
  awsCredentials(
    @Root() token: IssuedToken,
    @Ctx() context: GatewayContext,
    @Arg("roleArn", () => String, ROLE_ARN_ARG) roleArn?: string | null,
    @Arg("durationSeconds", () => Int, DURATION_ARG) durationSeconds?: number | null,
  ): Promise<IssuedCredentials> {
    // In session mode the response withholds the identity context; the credentials still come from the real tokens.
    return credentialsFor(originalTokens(token), context, roleArn, durationSeconds);
  }
}

/** The credentials mutation and AwsCredentials' computed fields. */
@Resolver(() => AwsCredentials)
export class CredentialsResolver {
  @Mutation(() => AwsCredentials, {
    description:
      "Renews identity-enhanced AWS credentials from an identity context (awsAdditionalDetails.identityContext of an earlier response) without a new token exchange: STS AssumeRole with the Identity Center context, signed with the gateway's credentials. In session mode (SESSION_MODE=cookie) only the identity context of the request's own live session (its cookie) is accepted: UNAUTHENTICATED without one, BAD_USER_INPUT for another.",
  })
  assumeRoleWithIdentityContext(
    @Arg("input", () => AssumeRoleWithIdentityContextInput, { description: "The identity context and, optionally, the role and session length." }) input: AssumeRoleWithIdentityContextInput,
    @Ctx() context: GatewayContext,
  ): Promise<IssuedCredentials> {
    const request = { identityContext: input.identityContext, roleArn: input.roleArn, durationSeconds: input.durationSeconds };
    if (context.config.sessions?.mode !== "cookie") return context.credentials.forIdentityContext(request);
    return requireSessionIdentityContext(context.session, input.identityContext).then(() => context.credentials.forIdentityContext(request));
  }

  @FieldResolver(() => GraphQLDateTimeISO, { description: "When the credentials expire (STS's Expiration). Renew before it: the AWS SDK renews five minutes ahead." })
  expiration(@Root() credentials: IssuedCredentials): Date {
    return new Date(credentials.expiration);
  }

  @FieldResolver(() => Int, { description: "Whole seconds until expiration at the time this field is resolved, rounded down, never below 0." })
  secondsRemaining(@Root() credentials: IssuedCredentials): number {
    return Math.max(0, Math.floor((credentials.expiration - Date.now()) / 1000));
  }
}

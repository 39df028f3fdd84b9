import { Field, Int, ObjectType } from "type-graphql";

/**
 * AWS's CreateTokenWithIAM response, field for field under AWS's names. The runtime value behind
 * this type is the token layer's `IssuedToken`; the computed fields are declared by the field
 * resolvers in `token-computed.resolver.ts`.
 */

@ObjectType("AwsAdditionalDetails", { simpleResolvers: true, description: "Additional information AWS returns with the tokens." })
export class AwsAdditionalDetails {
  @Field(() => String, {
    nullable: true,
    description:
      "STS context assertion that carries a user identifier to AWS services and can be used to obtain an identity-enhanced IAM role session. The same value as the idToken's `sts:identity_context` claim.",
  })
  identityContext?: string;
}

@ObjectType("CreateTokenWithIAMResponse", {
  simpleResolvers: true,
  description:
    "The tokens AWS IAM Identity Center issued, as CreateTokenWithIAM returned them, plus fields the gateway computes from them. Store tokens as secrets.",
})
export class CreateTokenWithIAMResponse {
  @Field(() => String, {
    nullable: true,
    description: "A bearer token to access AWS accounts and applications assigned to the user.",
  })
  accessToken?: string;

  @Field(() => String, { nullable: true, description: "The type of the access token; AWS issues `Bearer`." })
  tokenType?: string;

  @Field(() => Int, { nullable: true, description: "Seconds, from issue, until the access token expires, as AWS returned it." })
  expiresIn?: number;

  @Field(() => String, {
    nullable: true,
    description: "A token that can be used to get new tokens with `refreshToken` when the access token has expired. Absent for some grants.",
  })
  refreshToken?: string;

  @Field(() => String, {
    nullable: true,
    description: "A JSON Web Token (JWT) that identifies the user the access token was issued for. See idTokenClaims for its decoded claims.",
  })
  idToken?: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The type of token issued, e.g. `urn:ietf:params:oauth:token-type:refresh_token` or `urn:amazon:webservices:token`.",
  })
  issuedTokenType?: string;

  @Field(() => [String], { nullable: true, description: "The scopes the authorization was granted for." })
  scope?: string[];

  @Field(() => AwsAdditionalDetails, {
    nullable: true,
    description: "Information AWS extracted from the idToken, so clients need not parse it.",
  })
  awsAdditionalDetails?: AwsAdditionalDetails;
}

import { GraphQLDateTimeISO, GraphQLJSONObject } from "graphql-scalars";
import { Field, ObjectType } from "type-graphql";
import type { DecodedIdTokenClaims, JsonObject } from "../tokens/id-token-claims.js";

const NOT_VERIFIED = "Decoded, not verified.";

@ObjectType("IdTokenClaims", {
  simpleResolvers: true,
  description:
    "The claims of the response's idToken, DECODED, NOT VERIFIED: the gateway received the idToken from AWS, but reads its payload without checking the signature. Verify the idToken against AWS's keys before using it as proof of identity elsewhere.",
})
export class IdTokenClaims implements DecodedIdTokenClaims {
  @Field(() => String, { nullable: true, description: `The user's identifier (\`sub\`). ${NOT_VERIFIED}` })
  subject!: string | null;

  @Field(() => String, { nullable: true, description: `Who issued the idToken (\`iss\`), an Identity Center instance URL. ${NOT_VERIFIED}` })
  issuer!: string | null;

  @Field(() => [String], {
    description: `The intended audiences (\`aud\`), always as a list, even when the token holds a single string. ${NOT_VERIFIED}`,
  })
  audience!: string[];

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: `When the idToken was issued (\`iat\`). ${NOT_VERIFIED}` })
  issuedAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: `When the idToken expires (\`exp\`). ${NOT_VERIFIED}` })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description: `When the user authenticated (\`auth_time\`, a NumericDate or an ISO-8601 string). ${NOT_VERIFIED}`,
  })
  authTime!: Date | null;

  @Field(() => String, { nullable: true, description: `The identity store id (\`aws:identity_store_id\`). ${NOT_VERIFIED}` })
  identityStoreId!: string | null;

  @Field(() => String, { nullable: true, description: `The identity store ARN (\`aws:identity_store_arn\`). ${NOT_VERIFIED}` })
  identityStoreArn!: string | null;

  @Field(() => String, { nullable: true, description: `The Identity Center instance ARN (\`aws:instance_arn\`). ${NOT_VERIFIED}` })
  instanceArn!: string | null;

  @Field(() => String, { nullable: true, description: `The AWS account of the Identity Center instance (\`aws:instance_account\`). ${NOT_VERIFIED}` })
  instanceAccount!: string | null;

  @Field(() => String, { nullable: true, description: `The credential the user signed in with (\`aws:credential_id\`). ${NOT_VERIFIED}` })
  credentialId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: `The STS identity context (\`sts:identity_context\`), for identity-enhanced IAM role sessions. ${NOT_VERIFIED}`,
  })
  identityContext!: string | null;

  @Field(() => String, { nullable: true, description: `The STS audit context (\`sts:audit_context\`). ${NOT_VERIFIED}` })
  auditContext!: string | null;

  @Field(() => GraphQLJSONObject, { description: `Every claim of the payload as JSON. ${NOT_VERIFIED}` })
  raw!: JsonObject;
}

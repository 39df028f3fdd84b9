import { Field, ObjectType } from "type-graphql";

/**
 * Identity-enhanced AWS credentials, as STS AssumeRole returned them (with the Identity Center
 * context). The runtime value is the credentials layer's `IssuedCredentials`; `expiration` and
 * `secondsRemaining` are declared by credentials-computed.resolver.ts.
 */
@ObjectType("AwsCredentials", {
  simpleResolvers: true,
  description:
    "Temporary AWS credentials of an IAM role session that carries the Identity Center user (trusted identity propagation: STS AssumeRole with the identity context). AWS services that authorize per user (S3 Access Grants, Amazon Q Business, Lake Formation, Redshift) see that user. Treat the whole object as a secret.",
})
export class AwsCredentials {
  @Field(() => String, { description: "The access key id of the role session (starts with ASIA)." })
  accessKeyId!: string;

  @Field(() => String, { description: "SECRET. The secret access key that signs requests with accessKeyId. Never log or persist it." })
  secretAccessKey!: string;

  @Field(() => String, { description: "SECRET. The session token sent with every signed request. Never log or persist it." })
  sessionToken!: string;

  @Field(() => String, { description: "The IAM role assumed, one of the gateway's ALLOWED_ROLE_ARNS." })
  roleArn!: string;

  @Field(() => String, { description: "The role session's ARN, `arn:aws:sts::<account>:assumed-role/<role>/<session>`: what AWS services see as the caller." })
  assumedRoleArn!: string;
}

import { Field, ObjectType } from "type-graphql";
import type { UpstreamConfig } from "../config/config.types.js";
import type { GrantType } from "../tokens/token.types.js";
import { GrantType as GrantTypeEnum } from "./grant-type.enum.js";
import { UpstreamMode } from "./upstream-mode.enum.js";

@ObjectType("GatewayInfo", { simpleResolvers: true, description: "What this gateway is and what it exchanges for: enough for a frontend to configure itself." })
export class GatewayInfo {
  @Field(() => String, { description: "The gateway's version (package.json)." })
  version!: string;

  @Field(() => UpstreamMode, { description: "Where CreateTokenWithIAM requests go." })
  upstreamMode!: UpstreamConfig["mode"];

  @Field(() => String, { description: "The AWS region of the Identity Center instance the gateway calls." })
  region!: string;

  @Field(() => [GrantTypeEnum], { description: "The grants createTokenWithIAM accepts." })
  supportedGrantTypes!: readonly GrantType[];

  @Field(() => String, {
    nullable: true,
    description: "The application ARN used when a request names no clientId. Null when the gateway does not disclose its application ARNs (EXPOSE_CLIENT_IDS=false, the production default).",
  })
  defaultClientId!: string | null;

  @Field(() => [String], {
    nullable: true,
    description: "The application ARNs the gateway will exchange tokens for. Null (not disclosed, which is not the same as none) when EXPOSE_CLIENT_IDS=false, the production default.",
  })
  allowedClientIds!: readonly string[] | null;
}

import { Field, InputType } from "type-graphql";
import { LIMITS } from "../tokens/grant-validation.js";
import { GrantType } from "./grant-type.enum.js";
import { Bounded } from "./input-bounds.js";

/**
 * The two inputs of the token mutations, with AWS's request field names. No validation here:
 * the token service validates every request in one place (per grant, lengths, allowed clients).
 * `@Bounded` only restates its size limits, so the server refuses an oversized list or string
 * before coercing it (input-bounds.ts).
 */
/** RFC 7636 §4.1: a code verifier is at most 128 characters. */
const CODE_VERIFIER_MAX_CHARS = 128;

@InputType("CreateTokenWithIAMInput", {
  description:
    "A CreateTokenWithIAM request, with AWS's field names. Which fields are required or forbidden depends on grantType; the gateway rejects a mismatch with BAD_USER_INPUT naming the field, before calling AWS.",
})
export class CreateTokenWithIAMInput {
  @Bounded({ maxChars: LIMITS.clientIdChars })
  @Field(() => String, {
    nullable: true,
    description: "The application ARN to issue tokens for. Defaults to the gateway's configured application; must be one the gateway allows.",
  })
  clientId?: string | null;

  @Field(() => GrantType, { description: "The grant to run." })
  grantType!: GrantType;

  @Bounded({ maxChars: LIMITS.codeChars })
  @Field(() => String, { nullable: true, description: "AUTHORIZATION_CODE: the authorization code from the authorize redirect." })
  code?: string | null;

  @Bounded({ maxChars: LIMITS.secretTokenChars })
  @Field(() => String, { nullable: true, description: "REFRESH_TOKEN: the refresh token from an earlier response." })
  refreshToken?: string | null;

  @Bounded({ maxChars: LIMITS.secretTokenChars })
  @Field(() => String, { nullable: true, description: "JWT_BEARER: the JWT issued by a trusted token issuer." })
  assertion?: string | null;

  @Bounded({ maxItems: LIMITS.scopeItems, maxChars: LIMITS.scopeItemChars })
  @Field(() => [String], {
    nullable: true,
    description: "Scopes to request, e.g. `openid`, `aws`, `sts:identity_context`. Omitted: the application's scopes.",
  })
  scope?: string[] | null;

  @Bounded({ maxChars: LIMITS.uriChars })
  @Field(() => String, { nullable: true, description: "AUTHORIZATION_CODE: the redirect URI the code was issued for." })
  redirectUri?: string | null;

  @Bounded({ maxChars: LIMITS.secretTokenChars })
  @Field(() => String, { nullable: true, description: "TOKEN_EXCHANGE: the Identity Center access token to exchange." })
  subjectToken?: string | null;

  @Bounded({ maxChars: LIMITS.uriChars })
  @Field(() => String, {
    nullable: true,
    description: "TOKEN_EXCHANGE: the type of subjectToken, `urn:ietf:params:oauth:token-type:access_token`.",
  })
  subjectTokenType?: string | null;

  @Bounded({ maxChars: LIMITS.uriChars })
  @Field(() => String, {
    nullable: true,
    description:
      "TOKEN_EXCHANGE: the token type to issue, `urn:ietf:params:oauth:token-type:access_token` or `urn:amazon:webservices:token`.",
  })
  requestedTokenType?: string | null;

  @Bounded({ maxChars: CODE_VERIFIER_MAX_CHARS })
  @Field(() => String, { nullable: true, description: "AUTHORIZATION_CODE with PKCE: the code verifier matching the code challenge." })
  codeVerifier?: string | null;
}

@InputType("RefreshTokenInput", { description: "A refresh of an earlier response: CreateTokenWithIAM with the refresh_token grant." })
export class RefreshTokenInput {
  @Bounded({ maxChars: LIMITS.clientIdChars })
  @Field(() => String, {
    nullable: true,
    description: "The application ARN the refresh token was issued for. Defaults to the gateway's configured application.",
  })
  clientId?: string | null;

  @Bounded({ maxChars: LIMITS.secretTokenChars })
  @Field(() => String, { description: "The refresh token from an earlier response." })
  refreshToken!: string;

  @Bounded({ maxItems: LIMITS.scopeItems, maxChars: LIMITS.scopeItemChars })
  @Field(() => [String], { nullable: true, description: "Scopes to request; omitted: the scopes of the original grant." })
  scope?: string[] | null;
}

import { GraphQLDateTimeISO } from "graphql-scalars";
import { Field, ObjectType } from "type-graphql";
import type { IssuedToken } from "../tokens/token.types.js";

@ObjectType("Session", {
  simpleResolvers: true,
  description:
    "Session mode (SESSION_MODE=cookie): the browser's session, identified by its HttpOnly cookie. Never holds the refresh token; the access and id tokens only when the gateway's SESSION_EXPOSE lists them. Without a live session only `authenticated` (false) is set.",
})
export class Session {
  @Field(() => Boolean, { description: "True when the request carries a live session." })
  authenticated!: boolean;

  @Field(() => String, { nullable: true, description: "The application ARN the session's tokens were issued for." })
  clientId!: string | null;

  @Field(() => String, { nullable: true, description: "The user's identifier: the id token's `sub` (null without an id token: ask for the `openid` scope)." })
  subject!: string | null;

  @Field(() => [String], { nullable: true, description: "The scopes the session's tokens were granted for." })
  scope!: string[] | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: "When the access token expires. Call refreshSession before it." })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: "When the user signed in (kept across refreshes)." })
  signedInAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: "When the session ends unless an operation uses it first (SESSION_IDLE_TIMEOUT_SECONDS after its last use)." })
  idleExpiresAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: "When the session ends however it is used (SESSION_ABSOLUTE_LIFETIME_SECONDS after sign-in; with no refresh token, the access token's expiry)." })
  absoluteExpiresAt!: Date | null;

  @Field(() => Boolean, { description: "True when refreshSession can renew the session's tokens (it holds a refresh token)." })
  canRefresh!: boolean;

  @Field(() => String, { nullable: true, description: "The access token, only when the gateway's SESSION_EXPOSE lists accessToken; otherwise null." })
  accessToken!: string | null;

  @Field(() => String, { nullable: true, description: "The id token, only when the gateway's SESSION_EXPOSE lists idToken; otherwise null. Its claims are in idTokenClaims." })
  idToken!: string | null;

  /** The session's tokens, for the computed fields (never a GraphQL field). */
  tokens?: IssuedToken;
}

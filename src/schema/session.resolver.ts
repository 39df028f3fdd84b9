import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { IssuedCredentials } from "../credentials/index.js";
import type { SessionView } from "../sessions/index.js";
import { idTokenClaimsOf, type DecodedIdTokenClaims } from "../tokens/id-token-claims.js";
import { computeExpiresAt, computeSecondsRemaining } from "./computed/expiry.js";
import type { GatewayContext } from "./context.js";
import { credentialsFor, DURATION_ARG, ROLE_ARN_ARG } from "./credentials.resolver.js";
import { AwsCredentials } from "./credentials.type.js";
import { Session } from "./session.type.js";
import { IdTokenClaims } from "./token-claims.type.js";
import { withoutCredentialClaims } from "./withheld-tokens.js";

const SIGNED_OUT: Session = {
  authenticated: false, clientId: null, subject: null, scope: null, expiresAt: null, signedInAt: null,
  idleExpiresAt: null, absoluteExpiresAt: null, canRefresh: false, accessToken: null, idToken: null,
};

/** The session operations of session mode (SESSION_MODE=cookie). They only delegate: the sessions live in sessions/. */
@Resolver(() => Session)
export class SessionResolver {
  @Query(() => Session, {
    description: "Session mode: the session this request's cookie identifies (renewing its idle timeout), or `authenticated: false`. Needs the header x-idc-csrf: 1.",
  })
  async session(@Ctx() context: GatewayContext): Promise<Session> {
    return toSession(await context.session.current(), context);
  }

  @Mutation(() => Session, {
    description:
      "Session mode: renews the session's tokens with its refresh token, kept on the server, and rotates the session cookie. Two tabs or replicas refreshing at once make one call to AWS and both keep the session. INVALID_GRANT and EXPIRED_TOKEN end the session; other failures keep it. UNAUTHENTICATED without a live session.",
  })
  async refreshSession(@Ctx() context: GatewayContext): Promise<Session> {
    return toSession(await context.session.refresh(), context);
  }

  @Mutation(() => Boolean, { description: "Session mode: ends this session and clears its cookie. True when there was a live session." })
  signOut(@Ctx() context: GatewayContext): Promise<boolean> {
    return context.session.signOut();
  }

  @Mutation(() => Boolean, {
    description:
      "Session mode: ends every session of this user (same application and subject) in every browser and on every replica, and clears this cookie. False when the session has no subject (no id token: ask for the `openid` scope), so only this session ended.",
  })
  signOutEverywhere(@Ctx() context: GatewayContext): Promise<boolean> {
    return context.session.signOutEverywhere();
  }

  @FieldResolver(() => Int, { nullable: true, description: "Whole seconds until expiresAt at the time this field is resolved, never below 0." })
  secondsRemaining(@Root() session: Session): number | null {
    return session.tokens === undefined ? null : computeSecondsRemaining(session.tokens, Date.now());
  }

  @FieldResolver(() => IdTokenClaims, {
    nullable: true,
    description: "The id token's claims, DECODED, NOT VERIFIED, without its credential claims (identityContext, auditContext). Null without an id token.",
  })
  idTokenClaims(@Root() session: Session): DecodedIdTokenClaims | null {
    return session.tokens === undefined ? null : withoutCredentialClaims(idTokenClaimsOf(session.tokens));
  }

  @FieldResolver(() => AwsCredentials, {
    nullable: true,
    description:
      "Identity-enhanced AWS credentials for the session's user (STS AssumeRole with the session's identity context, which never leaves the gateway), cached and renewed on the server. Null without a live session; EXPIRED_TOKEN once the session's access token has expired (refreshSession first).",
  })
  awsCredentials(
    @Root() session: Session,
    @Ctx() context: GatewayContext,
    @Arg("roleArn", () => String, ROLE_ARN_ARG) roleArn?: string | null,
    @Arg("durationSeconds", () => Int, DURATION_ARG) durationSeconds?: number | null,
  ): Promise<IssuedCredentials> | null {
    return session.tokens === undefined ? null : credentialsFor(session.tokens, context, roleArn, durationSeconds, true);
  }
}

/** A session as page scripts may see it: tokens only where SESSION_EXPOSE lists them. */
function toSession(view: SessionView | undefined, context: GatewayContext): Session {
  if (view === undefined) return SIGNED_OUT;
  const sessions = context.config.sessions;
  const expose = sessions?.mode === "cookie" ? sessions.expose : { accessToken: false, idToken: false };
  const { token } = view;
  return {
    authenticated: true,
    clientId: view.clientId,
    subject: view.subject,
    scope: token.scope ?? null,
    expiresAt: computeExpiresAt(token),
    signedInAt: new Date(view.signedInAt),
    idleExpiresAt: new Date(view.idleExpiresAt),
    absoluteExpiresAt: new Date(view.absoluteExpiresAt),
    canRefresh: token.refreshToken !== undefined,
    accessToken: expose.accessToken ? token.accessToken ?? null : null,
    idToken: expose.idToken ? token.idToken ?? null : null,
    tokens: token,
  };
}

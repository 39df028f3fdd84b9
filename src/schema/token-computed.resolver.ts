import { GraphQLDateTimeISO } from "graphql-scalars";
import { FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { IssuedToken } from "../tokens/token.types.js";
import { computeExpiresAt, computeIsExpired, computeSecondsRemaining } from "./computed/expiry.js";
import { idTokenClaimsOf, type DecodedIdTokenClaims } from "../tokens/id-token-claims.js";
import { computeCanRefresh, computeIsAwsToken } from "./computed/token-kind.js";
import { IdTokenClaims } from "./token-claims.type.js";
import { CreateTokenWithIAMResponse } from "./token.type.js";
import { originalTokens } from "./withheld-tokens.js";

/**
 * The computed fields of CreateTokenWithIAMResponse. Each one is a one-line call into a pure
 * function of `computed/`; time-dependent ones read the clock at resolve time.
 */
@Resolver(() => CreateTokenWithIAMResponse)
export class TokenComputedFieldsResolver {
  @FieldResolver(() => String, { description: "The application ARN the tokens were issued for." })
  clientId(@Root() token: IssuedToken): string {
    return token.clientId;
  }

  @FieldResolver(() => GraphQLDateTimeISO, {
    description: "When the gateway received this response from AWS: the instant expiresIn counts from.",
  })
  issuedAt(@Root() token: IssuedToken): Date {
    return new Date(token.issuedAt);
  }

  @FieldResolver(() => GraphQLDateTimeISO, {
    nullable: true,
    description: "When the access token expires: issuedAt + expiresIn. The same on every read of the same response; null when AWS returned no expiresIn.",
  })
  expiresAt(@Root() token: IssuedToken): Date | null {
    return computeExpiresAt(token);
  }

  @FieldResolver(() => Boolean, { description: "True when the access token is an AWS token (issuedTokenType `urn:amazon:webservices:token`)." })
  isAwsToken(@Root() token: IssuedToken): boolean {
    return computeIsAwsToken(token);
  }

  @FieldResolver(() => Boolean, {
    description: "True when expiresAt has passed at the time this field is resolved. False when the expiry is unknown (no expiresIn).",
  })
  isExpired(@Root() token: IssuedToken): boolean {
    return computeIsExpired(token, Date.now());
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: "Whole seconds until expiresAt at the time this field is resolved, rounded down, never below 0; null without expiresIn. Use it to schedule a refresh.",
  })
  secondsRemaining(@Root() token: IssuedToken): number | null {
    return computeSecondsRemaining(token, Date.now());
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: "The same value as secondsRemaining (whole seconds left, at resolve time, never below 0; null without expiresIn), unlike expiresIn, which counts from issue.",
  })
  expiresInSeconds(@Root() token: IssuedToken): number | null {
    return computeSecondsRemaining(token, Date.now());
  }

  @FieldResolver(() => Boolean, { description: "True when the response carries a refresh token, so refreshToken(input) can renew it (in session mode: when the session holds one, so refreshSession can)." })
  canRefresh(@Root() token: IssuedToken): boolean {
    // In session mode the response withholds the refresh token, which the session still holds.
    return computeCanRefresh(originalTokens(token));
  }

  @FieldResolver(() => IdTokenClaims, {
    nullable: true,
    description:
      "The idToken's claims, DECODED, NOT VERIFIED. Null when there is no idToken or it is not a well-formed JWT (never an error).",
  })
  idTokenClaims(@Root() token: IssuedToken): DecodedIdTokenClaims | null {
    return idTokenClaimsOf(token);
  }
}

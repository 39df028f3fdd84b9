import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import type { IssuedToken, MaybePromise, TokenRequest } from "../tokens/token.types.js";
import type { GatewayContext } from "./context.js";
import { CreateTokenWithIAMInput, RefreshTokenInput } from "./token.input.js";
import { CreateTokenWithIAMResponse } from "./token.type.js";
import { withholdTokens } from "./withheld-tokens.js";

/** The two token mutations. They only delegate: validation, dedupe and AWS live in tokens/. */
@Resolver(() => CreateTokenWithIAMResponse)
export class TokenResolver {
  @Mutation(() => CreateTokenWithIAMResponse, {
    description:
      "Runs AWS IAM Identity Center's CreateTokenWithIAM with the gateway's own AWS credentials and returns AWS's response plus computed fields. Identical exchanges within one operation (e.g. aliases) cost one call to AWS. In session mode (SESSION_MODE=cookie) it signs in: the tokens stay in a server-side session, the response sets the session cookie, and refreshToken (with accessToken and idToken unless SESSION_EXPOSE lists them) is null.",
  })
  createTokenWithIAM(
    @Arg("input", () => CreateTokenWithIAMInput, { description: "The grant to exchange, with AWS's request field names." })
    input: CreateTokenWithIAMInput,
    @Ctx() context: GatewayContext,
  ): MaybePromise<IssuedToken> {
    const request = toTokenRequest(input);
    const sessions = context.config.sessions;
    if (sessions?.mode !== "cookie") return context.tokens.createToken(request);
    // Session mode: the tokens stay in a server-side session; the browser gets its cookie and what SESSION_EXPOSE allows.
    // The exchange's own input tells aliases (one sign-in) from a second, different sign-in (refused before it runs).
    return context.session.signIn(() => context.tokens.createToken(request), JSON.stringify(request), {
      scope: request.scope ?? undefined, singleUse: request.grantType === "AUTHORIZATION_CODE" || request.grantType === "REFRESH_TOKEN",
    }).then(({ token }) => {
      // Delivered as a session (the response sets its cookie, even with `data: null`): not kept for a retry to sign in
      // again, unless its caller left before the answer (undelivered-answers.plugin.ts ends the session first).
      context.tokens.delivered(token);
      return withholdTokens(token, sessions.expose);
    });
  }

  @Mutation(() => CreateTokenWithIAMResponse, {
    description: "Exchanges a refresh token for new tokens: CreateTokenWithIAM with the refresh_token grant.",
  })
  refreshToken(
    @Arg("input", () => RefreshTokenInput, { description: "The refresh token and, optionally, the application and scopes." })
    input: RefreshTokenInput,
    @Ctx() context: GatewayContext,
  ): MaybePromise<IssuedToken> {
    return context.tokens.refresh({ clientId: input.clientId, refreshToken: input.refreshToken, scope: input.scope });
  }
}

const OPTIONAL_REQUEST_FIELDS = [
  "clientId", "code", "refreshToken", "assertion", "scope", "redirectUri",
  "subjectToken", "subjectTokenType", "requestedTokenType", "codeVerifier",
] as const satisfies ReadonlyArray<keyof TokenRequest>;

/** A plain TokenRequest of the input's own fields (the input object may hold others); fields the client omitted stay absent. */
export function toTokenRequest(input: CreateTokenWithIAMInput): TokenRequest {
  const request: TokenRequest = { grantType: input.grantType };
  for (const field of OPTIONAL_REQUEST_FIELDS) {
    const value = input[field];
    if (value !== undefined) (request as unknown as Record<string, unknown>)[field] = value;
  }
  return request;
}

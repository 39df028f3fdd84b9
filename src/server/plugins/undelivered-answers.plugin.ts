import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../../schema/context.js";

/**
 * An operation that failed in part may not deliver an answer it obtained: the token mutations are
 * non-null, so one failing root field nulls `data` whole (a sibling's INVALID_GRANT, RATE_LIMITED, a
 * session that could not be stored), while an authorization code or refresh token it exchanged is
 * already spent at AWS. An answer whose `data` is null keeps the operation's answers of those for the
 * caller's retry with the same code and verifier, or refresh token (RequestTokenService.keepUndelivered;
 * only their holder can collect them, once).
 * Before, an attacker review's `mutation { a: createTokenWithIAM(code…) b: refreshToken(bogus) }`
 * spent the code and answered `data: null`. So does an answer whose caller is gone (its own timeout
 * shorter than UPSTREAM_DEADLINE_MS, a dropped connection): whatever `data` says, it reaches nobody,
 * and the retry met INVALID_GRANT (a review). A session sign-in's answer stays delivered when `data` is
 * null (its cookie is set; keeping it too let one code sign in again and again). When its caller is
 * gone, the cookie reaches nobody: the session ends unseen first, then its answer is kept, so one code
 * holds one live session at most (before, the retry met INVALID_GRANT and the user signed in again).
 */
export function createUndeliveredAnswersPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          // Only when `data` is null: every token mutation is non-null, so an answer in a response with
          // data was delivered (a nullable sibling's error, say awsCredentials, leaves it in place), and
          // keeping it would let the code be redeemed again and again (an attacker review did).
          if (response.body.kind !== "single") return;
          const { errors, data } = response.body.singleResult;
          const failed = errors !== undefined && errors.length > 0 && (data === null || data === undefined);
          const gone = contextValue.clientGone?.() === true;
          if (gone) {
            const unseen = await contextValue.session.abandonSignIn();
            if (unseen !== undefined) contextValue.tokens.undelivered(unseen);
          }
          if (failed || gone) await contextValue.tokens.keepUndelivered();
        },
      };
    },
  };
}

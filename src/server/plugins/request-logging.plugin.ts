import type { ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { isGatewayError } from "../../errors/error-codes.js";
import type { Logger } from "../../logging/logger.js";
import type { GatewayContext } from "../../schema/context.js";
import { isApolloHttpClientError, isApolloRequestError } from "../format-error.js";

/**
 * One log line per GraphQL request: request id, operation name, duration and the error codes
 * answered. Never variables or the document: they carry assertions, codes and tokens.
 * Errors that will be masked (not GatewayErrors) are logged once more at error level, with
 * their stack, because the client only sees "Internal server error".
 */
export function createRequestLoggingPlugin(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const startedAt = performance.now();
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            // Apollo's uncoded 4xx errors (a persisted-query hash that does not match, a bad version) are the caller's, answered BAD_REQUEST.
            if (isGatewayError(original) || isApolloRequestError(error) || isApolloHttpClientError(original)) continue;
            logger.error({ requestId: contextValue.requestId, path: error.path, err: original }, "unexpected error (answered as INTERNAL_SERVER_ERROR)");
          }
        },
        async willSendResponse({ response, operationName, request }) {
          const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
          const errorCodes = errors.map((error) => String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
          logger.info(
            {
              requestId: contextValue.requestId,
              operationName: operationName ?? request.operationName ?? null,
              durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
              outcome: errorCodes.length === 0 ? "ok" : "error",
              errorCodes,
            },
            "graphql request",
          );
        },
      };
    },
  };
}

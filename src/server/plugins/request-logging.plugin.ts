import type { ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { isGatewayError } from "../../errors/error-codes.js";
import type { Logger } from "../../logging/logger.js";
import type { GatewayContext } from "../../schema/context.js";
import { isApolloHttpClientError, isApolloRequestError, isRequestError } from "../format-error.js";
import { createLogRateLimiter } from "../log-rate-limit.js";

/**
 * One log line per GraphQL request: request id, operation name (when it names one), duration and the error codes
 * answered (each code once, and how many errors). Never variables or the document: they carry
 * assertions, codes and tokens. Errors that will be masked (not GatewayErrors) are logged once
 * more at error level, with their stack, because the client only sees "Internal server error".
 *
 * Refused requests (every error a request error: parse, validation, BAD_USER_INPUT, BAD_REQUEST…)
 * are what hostile input produces, as fast as a caller may send it: their lines stay at info,
 * without a stack, and are rate-limited per code (LOG_LINES_PER_SECOND_PER_KIND, then one warn line
 * saying how many were suppressed). The error-level lines of masked errors are rate-limited too.
 */

/** Lines per second of one kind (one refusal code; masked errors) before they are suppressed. */
export const LOG_LINES_PER_SECOND_PER_KIND = 10;

export function createRequestLoggingPlugin(logger: Logger, options: { linesPerSecondPerKind?: number } = {}): ApolloServerPlugin<GatewayContext> {
  const limiter = createLogRateLimiter({
    linesPerSecond: options.linesPerSecondPerKind ?? LOG_LINES_PER_SECOND_PER_KIND,
    onSuppressed: (kind, suppressed) => logger.warn({ kind, suppressed }, `suppressed ${suppressed} log lines of kind ${kind} in one second`),
  });
  return {
    async requestDidStart({ contextValue }) {
      const startedAt = performance.now();
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            // Apollo's uncoded 4xx errors (a persisted-query hash that does not match, a bad version) are the caller's, answered BAD_REQUEST.
            if (isGatewayError(original) || isRequestError(error) || isApolloHttpClientError(original)) continue;
            if (!limiter.allow("unexpected error")) continue;
            logger.error({ requestId: contextValue.requestId, path: error.path, err: original }, "unexpected error (answered as INTERNAL_SERVER_ERROR)");
          }
        },
        async willSendResponse({ response, operationName, request }) {
          const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
          const errorCodes = [...new Set(errors.map((error) => String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR")))];
          const refused = errorCodes.length > 0 && errors.every((error) => isApolloRequestError(error));
          if (refused && !limiter.allow(`refused ${errorCodes[0]}`)) return;
          logger.info(
            {
              requestId: contextValue.requestId,
              // A resolved name is a GraphQL name in the document, cut short (a 60 KB one made a 60 KB line per request). One
              // that names no operation is the body's free text (a review found a token pasted there logged): never written.
              operationName: shortOperationName(operationName),
              ...(operationName == null && typeof request.operationName === "string" ? { operationNameUnresolved: true } : {}),
              durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
              outcome: errorCodes.length === 0 ? "ok" : refused ? "refused" : "error",
              errorCodes,
              ...(errors.length > errorCodes.length ? { errorCount: errors.length } : {}),
            },
            "graphql request",
          );
        },
      };
    },
  };
}

/** An operation's name: the caller's text (a GraphQL name has no length limit), so cut short. */
function shortOperationName(name: unknown): string | null {
  if (typeof name !== "string") return null;
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}

import type { ApolloServerPlugin } from "@apollo/server";
import type { DocumentNode, OperationDefinitionNode } from "graphql";
import { GraphQLError, Kind } from "graphql/index.js";
import type { GatewayMetrics } from "../../metrics/metrics.js";

/**
 * Only the operation the request names runs, or none. Apollo resolves the operation with
 * graphql-js' getOperationAST; when that finds nothing (an operationName no operation has, several
 * operations and no operationName, a document without an operation) Apollo does not refuse: it
 * calls the executor with operationName null, and an executor that then picks "the only operation"
 * runs an operation the caller did not name, over GET a mutation too (Apollo checks GET against
 * the resolved operation only). This plugin refuses every unresolved request before execution
 * with HTTP 400 BAD_REQUEST; compiled-execution.ts refuses it again should it ever get that far.
 *
 * The messages never echo the operationName: it is the caller's text, of any length.
 */

export function unresolvedOperationError(document: DocumentNode, requestedName: unknown): GraphQLError {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
  const message =
    typeof requestedName === "string"
      ? "operationName names no operation of the document: send the name of one of its operations, or omit operationName for a document with one operation."
      : operations === 0
        ? "The document has no operation to run."
        : "The document has several operations: operationName must name the one to run.";
  return badRequest(message);
}

/** Over GET only queries run (Apollo's rule for resolved operations, restated for the executor). */
export function notAQueryOverGetError(operation: OperationDefinitionNode): GraphQLError {
  return new GraphQLError(`GET requests only support query operations, not ${operation.operation} operations: send it with POST.`, {
    extensions: { code: "BAD_REQUEST", retryable: false, http: { status: 405, headers: new Map([["allow", "POST"]]) } },
  });
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_REQUEST", retryable: false, http: { status: 400 } } });
}

/** Refuses, before execution, a request whose operation Apollo could not resolve; counted in rejections{reason="unresolved_operation"}. */
export function createOperationResolutionPlugin(options: { metrics?: GatewayMetrics | undefined } = {}): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (operation === undefined) {
            options.metrics?.rejections.inc({ reason: "unresolved_operation" });
            throw unresolvedOperationError(document, request.operationName);
          }
          if (request.http?.method === "GET" && operation.operation !== "query") throw notAQueryOverGetError(operation);
        },
      };
    },
  };
}

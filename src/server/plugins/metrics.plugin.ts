import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLSchema, OperationDefinitionNode } from "graphql";
import { ERROR_CODES } from "../../errors/error-codes.js";
import type { GatewayMetrics } from "../../metrics/metrics.js";
import { APOLLO_REQUEST_ERROR_CODES } from "../format-error.js";

/**
 * Records `graphqlRequests{operation,outcome}` and `graphqlDuration{operation}` for every GraphQL
 * request. Both labels are closed sets, whatever the client sends:
 * - operation: the root field the operation selects (`createTokenWithIAM`, `refreshToken`,
 *   `gateway`, … taken from the schema), `introspection`, `multiple` (several root fields),
 *   or `invalid` (the document did not parse or validate). Client-chosen operation names are
 *   never used: they are unbounded.
 * - outcome: `ok`, or the first error's `extensions.code` when it is one the gateway or Apollo
 *   defines, else `INTERNAL_SERVER_ERROR`.
 */
export function createMetricsPlugin(options: { metrics: GatewayMetrics; schema: GraphQLSchema }): ApolloServerPlugin {
  const { metrics, schema } = options;
  if (metrics?.graphqlRequests === undefined) throw new TypeError("createMetricsPlugin: options.metrics must come from createGatewayMetrics()");
  const rootFields = new Set<string>([
    ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
    "__typename",
  ]);
  const knownCodes = new Set<string>([...Object.keys(ERROR_CODES), ...APOLLO_REQUEST_ERROR_CODES]);

  return {
    async requestDidStart() {
      const startedAt = performance.now();
      let operation = "invalid";
      return {
        async didResolveOperation({ operation: definition }) {
          if (definition) operation = operationLabel(definition, rootFields);
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
          const code = errors[0]?.extensions?.code;
          const outcome = errors.length === 0 ? "ok" : typeof code === "string" && knownCodes.has(code) ? code : "INTERNAL_SERVER_ERROR";
          metrics.graphqlRequests.inc({ operation, outcome });
          metrics.graphqlDuration.observe({ operation }, (performance.now() - startedAt) / 1000);
        },
      };
    },
  };
}

function operationLabel(definition: OperationDefinitionNode, rootFields: ReadonlySet<string>): string {
  const selections = definition.selectionSet.selections;
  if (selections.length !== 1) return "multiple";
  const [selection] = selections;
  if (selection?.kind !== "Field") return "multiple";
  const name = selection.name.value;
  if (name === "__schema" || name === "__type") return "introspection";
  return rootFields.has(name) ? name : "multiple";
}

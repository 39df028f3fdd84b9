import type { ASTVisitor, ValidationContext } from "graphql";
import { GraphQLError } from "graphql/index.js";

/**
 * Refuses, at validation, an operation whose type the schema has no root for (the gateway has
 * no Subscription type). graphql-js 16 lets such a document through validation and fails it in
 * execute(), which the gateway would mask as INTERNAL_SERVER_ERROR: a client mistake reported as
 * our fault. (graphql-js 17 ships this rule as KnownOperationTypesRule.)
 */
export function knownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (schema.getRootType(node.operation)) return;
      context.reportError(new GraphQLError(`The schema has no ${node.operation} type: ${node.operation} operations are not supported.`, { nodes: node }));
    },
  };
}

import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from "@apollo/server";
import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode, type ValueNode } from "graphql/index.js";

/**
 * graphql-js' validation errors about a value written into the document (a string where an enum
 * goes, a wrong type, a missing or unknown input field) point at it by line and column only, and the
 * gateway drops the value they quote (redactLiteralValue): `mutation { createTokenWithIAM(input:
 * { grantType: "JWT_BEARER", … }) }` was answered `Enum "GrantType" cannot represent non-enum value.`
 * and nothing else. They name the field in `extensions.field` now, as the gateway's input errors and
 * variable coercion errors do: `input.grantType`, `input.scope[1]`, `input.grantType` for a missing
 * one, `@include(if)` for a directive's argument. Only errors whose node is a value (or input field)
 * written as a field's or directive's argument are named; the document is walked only when there are
 * validation errors.
 */
export function createLiteralErrorFieldsPlugin(): ApolloServerPlugin {
  // No state per request: every request shares one listener.
  const listener: GraphQLRequestListener<BaseContext> = {
    async validationDidStart({ document }) {
      return async (errors) => {
        if (errors !== undefined && errors.length > 0) nameLiteralErrorFields(document, errors);
      };
    },
  };
  return { requestDidStart: async () => listener };
}

/** graphql-js' message for an input object literal without a required field: the node is the object, the field is named here. */
const MISSING_FIELD = /^Field "[^".]+\.([_A-Za-z][_0-9A-Za-z]*)" of required type "[^"]*" was not provided\.$/;

/** Sets `extensions.field` on each error about an argument's literal value (or one of its fields). */
export function nameLiteralErrorFields(document: DocumentNode, errors: readonly Error[]): void {
  const paths = argumentValuePaths(document);
  for (const error of errors) {
    const node = error instanceof GraphQLError ? error.nodes?.[0] : undefined;
    const path = node === undefined ? undefined : paths.get(node);
    if (path === undefined) continue;
    const missing = node!.kind === Kind.OBJECT ? MISSING_FIELD.exec(error.message)?.[1] : undefined;
    ((error as GraphQLError).extensions as Record<string, unknown>).field = missing === undefined ? path : `${path}.${missing}`;
  }
}

/** Every value node (and input field) written as an argument, with its path from the argument's name. */
function argumentValuePaths(document: DocumentNode): Map<ASTNode, string> {
  const paths = new Map<ASTNode, string>();
  const walk = (value: ValueNode, path: string): void => {
    paths.set(value, path);
    if (value.kind === Kind.LIST) value.values.forEach((item, index) => walk(item, `${path}[${index}]`));
    if (value.kind === Kind.OBJECT) {
      for (const field of value.fields) {
        paths.set(field, `${path}.${field.name.value}`);
        walk(field.value, `${path}.${field.name.value}`);
      }
    }
  };
  visit(document, {
    Directive(directive) {
      for (const argument of directive.arguments ?? []) walk(argument.value, `@${directive.name.value}(${argument.name.value})`);
      return false;
    },
    Argument(argument) {
      walk(argument.value, argument.name.value);
      return false;
    },
  });
  return paths;
}

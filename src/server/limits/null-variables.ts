import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from "@apollo/server";
import {
  BREAK, GraphQLError, Kind, TypeInfo, isInputObjectType, isListType, isNonNullType, visit, visitWithTypeInfo,
  type DocumentNode, type FragmentDefinitionNode, type GraphQLInputType, type GraphQLSchema, type OperationDefinitionNode, type ValueNode,
} from "graphql/index.js";

/**
 * A nullable variable with a default may stand where a value is required (`$g: GrantType = JWT_BEARER`
 * in `input: { grantType: $g, … }`, `input: $i`, `@include(if: $b)`): validation allows it, since the
 * default fills an omitted variable. Sent as an explicit null, graphql-js refuses the argument only
 * while executing, as an error of the field (masked as the gateway's own fault, INTERNAL_SERVER_ERROR,
 * and logged at error level) whose message prints the whole literal around the variable:
 * `Argument "input" has invalid value {grantType: $g, assertion: "eyJ…"}.`, a grant written into the
 * document included. graphql-jit instead passed the null on to the resolver.
 *
 * Refused here before execution, like the other variable errors: BAD_USER_INPUT naming the variable
 * and the field it is null at (`input.grantType`, `input.scope[0]`, `@include(if)`), never a value.
 */

export interface NullAtRequiredPosition {
  variable: string;
  field: string;
}

/** The first variable given as null where the operation (or a fragment it spreads) requires a value; undefined when none. */
export function findNullAtRequiredPosition(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>,
): NullAtRequiredPosition | undefined {
  // A non-null variable given null is refused by coercion with its own message; a nullable one passes it.
  // Built only when there is one: every request with variables comes through here, and almost none has a null.
  let nulls: Set<string> | undefined;
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (definition.type.kind !== Kind.NON_NULL_TYPE && variables[name] === null) (nulls ??= new Set()).add(name);
  }
  if (nulls === undefined) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation];
  const spread = new Set<string>();
  let found: NullAtRequiredPosition | undefined;
  while (found === undefined && pending.length > 0) {
    const typeInfo = new TypeInfo(schema);
    visit(pending.pop()!, visitWithTypeInfo(typeInfo, {
      Argument(argument) {
        const definition = typeInfo.getArgument();
        const directive = typeInfo.getDirective();
        const name = directive ? `@${directive.name}(${argument.name.value})` : argument.name.value;
        found = definition ? nullIn(argument.value, definition.type, name, nulls) : undefined;
        // Its value is walked above, with the argument's type.
        return found === undefined ? false : BREAK;
      },
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment !== undefined && !spread.has(node.name.value)) pending.push(fragment);
        spread.add(node.name.value);
      },
    }));
  }
  return found;
}

function nullIn(value: ValueNode, type: GraphQLInputType, path: string, nulls: ReadonlySet<string>): NullAtRequiredPosition | undefined {
  if (value.kind === Kind.VARIABLE) return isNonNullType(type) && nulls.has(value.name.value) ? { variable: value.name.value, field: path } : undefined;
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (value.kind === Kind.LIST && isListType(nullable)) {
    for (const [index, item] of value.values.entries()) {
      const found = nullIn(item, nullable.ofType, `${path}[${index}]`, nulls);
      if (found !== undefined) return found;
    }
  }
  if (value.kind === Kind.OBJECT && isInputObjectType(nullable)) {
    const fields = nullable.getFields();
    for (const field of value.fields) {
      const definition = fields[field.name.value];
      const found = definition === undefined ? undefined : nullIn(field.value, definition.type, `${path}.${field.name.value}`, nulls);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export function nullAtRequiredPositionError({ variable, field }: NullAtRequiredPosition): GraphQLError {
  return new GraphQLError(
    `Variable "$${variable}" is null at "${field}", where a value is required: a variable's default applies only when the variable is omitted.`,
    { extensions: { code: "BAD_USER_INPUT", retryable: false, field, http: { status: 400 } } },
  );
}

/** Refuses, before execution, a request that gives null to a variable used where a value is required. */
export function createNullVariablesPlugin(): ApolloServerPlugin {
  // No state per request: every request shares one listener (nothing allocated on the hot path).
  const listener: GraphQLRequestListener<BaseContext> = {
    async didResolveOperation({ document, operation, request, schema }) {
      if (operation === undefined || request.variables === undefined) return;
      const found = findNullAtRequiredPosition(schema, document, operation, request.variables);
      if (found !== undefined) throw nullAtRequiredPositionError(found);
    },
  };
  return { requestDidStart: async () => listener };
}

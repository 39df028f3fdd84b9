import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { createRequire } from "node:module";
import type { FragmentDefinitionNode, OperationDefinitionNode, SelectionSetNode, VariableDefinitionNode } from "graphql";
import { execute, getOperationAST, getVariableValues, GraphQLError, Kind, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql/index.js"; // the CJS entry: see schema/build-schema.ts
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { notAQueryOverGetError, unresolvedOperationError } from "./limits/operation-resolution.js";

/**
 * Execution through graphql-jit: each validated document that comes again (COMPILE_AFTER_EXECUTIONS;
 * introspection never) is compiled once into a JavaScript function (variable coercion, field walk and
 * serialization specialised to that operation) and reused for every request that sends it. graphql-js re-walks the document on every request; for
 * the gateway's two mutations that walk cost more than the rest of the GraphQL layer (bench/profile.ts).
 *
 * Plugged in through Apollo Server's gateway interface, the one place Apollo accepts an executor:
 * parsing, validation (our limits), APQ, plugins and error formatting stay Apollo's.
 * Compiled queries are keyed by Apollo's parsed DocumentNode, which Apollo's document store
 * reuses for a query text it has seen: they live (and are collected) with that LRU's entries.
 *
 * Variables are coerced once by graphql-js (getVariableValues, at most MAX_COERCION_ERRORS errors)
 * before the compiled query runs: a refusal costs that one capped
 * coercion and nothing more, and its errors are graphql-js' own (nodes, messages), which Apollo
 * answers as BAD_USER_INPUT. graphql-jit's own coercion reports every error and formats the whole
 * input into each one (hundreds of ms for a long list), so it only ever sees variables graphql-js
 * accepted. Sizes are bounded before either coercion runs (limits/variable-bounds.ts). A document
 * graphql-jit cannot compile is executed by graphql-js every time (after the same refusal check).
 *
 * Where graphql-jit would refuse variables graphql-js accepted, graphql-js answers: that is known
 * before anything runs by graphql-jit's own variable parser (the one its compiled query starts
 * with), compiled alongside the query. An operation is never run a second time: a compiled query
 * that answers without `data` after its variables were accepted is answered as it is (graphql-jit
 * never does so today: compiled-execution.test.ts pins that), since its resolvers (a mutation's
 * upstream call) may have run. Accepted variables are thus coerced three times, ~1 µs each, or twice
 * when every one is a String given a string (stringVariablesOf).
 *
 * Only the resolved operation runs: with no operation (Apollo calls the executor with operationName
 * null when the requested one does not exist) or a non-query over GET, the executor refuses
 * (limits/operation-resolution.ts refuses both earlier, in a plugin).
 */
export interface CompiledExecutionOptions {
  /** graphql-js makes no "Did you mean …" suggestion in variable coercion errors (introspection off). */
  hideSuggestions?: boolean;
  /** Executions of a document's operation by graphql-js before graphql-jit compiles it (COMPILE_AFTER_EXECUTIONS; 0: at its first). */
  compileAfter?: number;
  /** Called with each operation graphql-jit compiles (tests count them). */
  onCompile?: (operationName: string | null) => void;
}

/**
 * A document's operation is executed by graphql-js this many times before graphql-jit compiles it.
 * Compiling costs far more than one execution (a 12-alias mutation of every field: ~20 ms to
 * compile, ~1 ms to execute with graphql-js), and pays off only for a document that comes again,
 * which an application's operations do (Apollo's document store keeps their parsed documents). A
 * caller sending documents that differ each time (a comment is enough) made the gateway compile
 * every one: 18 ms of CPU a request, and at its allowance another caller's /healthz p99 was 821 ms
 * (an attacker review). Now such documents are never compiled, and one sent again and again is
 * compiled once per COMPILE_AFTER_EXECUTIONS + 1 requests at most.
 */
export const COMPILE_AFTER_EXECUTIONS = 3;

export function createCompiledExecution(schema: GraphQLSchema, options: CompiledExecutionOptions = {}): GatewayInterface {
  const executor = createCompiledExecutor(schema, options);
  // Apollo's schema reporting (GraphOS) sends `coreSupergraphSdl ?? printSchema(apiSchema)`: the SDL
  // here keeps the report what it is without a gateway (an empty string would report an empty schema).
  const schemaContext = { apiSchema: schema, coreSupergraphSdl: printSchema(schema) };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback(schemaContext);
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
}

/**
 * graphql-jit's variable parser, the one its compiled queries start with. Its ESM build of this
 * module imports paths without extensions (unloadable), so the CommonJS build is loaded, which
 * shares graphql's CommonJS entry with the rest of the gateway.
 */
const { compileVariableParsing, failToParseVariables } = createRequire(import.meta.url)("graphql-jit/dist/variables.js") as typeof import("graphql-jit/dist/variables.js");

/** Not compiled (graphql-jit refused the document): execute with graphql-js. */
const NOT_COMPILABLE = null;

/** A compiled operation, with graphql-jit's variable parser for it: true when graphql-jit accepts them. */
interface Compiled {
  readonly query: CompiledQuery;
  readonly acceptsVariables: (variables: Record<string, unknown>) => boolean;
  /** The variables' names when every one is a `String` or `String!` without a default (stringVariablesOf). */
  readonly stringVariables: readonly string[] | undefined;
}

export function createCompiledExecutor(schema: GraphQLSchema, options: CompiledExecutionOptions = {}): GatewayExecutor {
  const coercionOptions = { maxErrors: MAX_COERCION_ERRORS, hideSuggestions: options.hideSuggestions === true };
  const compileAfter = options.compileAfter ?? COMPILE_AFTER_EXECUTIONS;
  /** Per document and operation: compiled, not compilable, or how many times graphql-js executed it so far. */
  const compiledByDocument = new WeakMap<DocumentNode, Map<string, Compiled | typeof NOT_COMPILABLE | number>>();

  const compiledFor = (document: DocumentNode, operation: OperationDefinitionNode, operationName: string | null): Compiled | typeof NOT_COMPILABLE => {
    let byOperation = compiledByDocument.get(document);
    if (byOperation === undefined) compiledByDocument.set(document, (byOperation = new Map()));
    // Stryker disable next-line StringLiteral: equivalent: any one key serves the anonymous operation (a document holds at most one; no operation name can be "Stryker was here!")
    const key = operationName ?? "";
    const known = byOperation.get(key);
    if (known !== undefined && typeof known !== "number") return known;
    if (selectsIntrospection(document, operation)) {
      byOperation.set(key, NOT_COMPILABLE);
      return NOT_COMPILABLE;
    }
    const executions = known ?? 0;
    if (executions < compileAfter) {
      byOperation.set(key, executions + 1);
      return NOT_COMPILABLE;
    }
    const compiled = compileOrGiveUp(schema, document, operationName);
    options.onCompile?.(operationName);
    byOperation.set(key, compiled);
    return compiled;
  };

  return async ({ document, operation: resolved, operationName, request, context }) => {
    // Apollo's types say an operation is always there; at run time it is undefined when none resolved.
    const operation = resolved as OperationDefinitionNode | undefined;
    if (operation === undefined) return { errors: [unresolvedOperationError(document, request.operationName)] };
    if (request.http?.method === "GET" && operation.operation !== "query") return { errors: [notAQueryOverGetError(operation)] };
    const variableValues = request.variables ?? {};
    const compiled = compiledFor(document, operation, operationName);
    const executeWithGraphQLJs = () => execute({ schema, document, contextValue: context, variableValues, operationName });
    const definitions = operation.variableDefinitions;
    const plainStrings = compiled !== NOT_COMPILABLE && compiled.stringVariables !== undefined && compiled.stringVariables.every((name) => Object.hasOwn(variableValues, name) && typeof variableValues[name] === "string");
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: equivalent: graphql-js parses no variables as [], and coercing none refuses nothing (speed only)
    if (definitions !== undefined && definitions.length > 0 && !plainStrings) {
      const refusal = withoutStacks(() => {
        const coercion = getVariableValues(schema, definitions, variableValues, coercionOptions);
        return coercion.errors?.map(asBadUserInput);
      });
      if (refusal !== undefined) return { errors: refusal };
    }
    if (compiled === NOT_COMPILABLE) return executeWithGraphQLJs();
    // graphql-jit would refuse variables graphql-js accepted: nothing ran yet, and graphql-js is the reference.
    if (!compiled.acceptsVariables(variableValues)) return executeWithGraphQLJs();
    const result = (await compiled.query.query(undefined, context, variableValues)) as ExecutionResult;
    return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphQLJsError) };
  };
}

/**
 * Coercion errors describe the caller's input: their stacks are never shown (production) or say
 * nothing (graphql-js internals), yet capturing and formatting one costs ~50 µs, two per error
 * (graphql-js wraps each), so 50 errors cost ms. getVariableValues is synchronous (custom scalars'
 * parseValue included), so the limit is restored before anything else runs.
 */
function withoutStacks<T>(coerce: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return coerce();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Coercion errors answered at most (graphql-js' own cap, as execute passes it, is 50). Each carries
 * its variable definition's line and column, a scan of the document up to it, and a message that may
 * echo the caller's input: 10, and as many validation errors (gateway-server.ts, VALIDATION_MAX_ERRORS).
 */
export const MAX_COERCION_ERRORS = 10;

/**
 * Coercion errors, coded BAD_USER_INPUT here rather than by Apollo, which would wrap each uncoded one
 * in a new error (~10-80 µs each, stack and all). The message, the variable definition and the inner
 * error (whose message format-error.ts keeps without the value) stay graphql-js'. Past the cap,
 * graphql-js adds one error without a variable ("Too many errors processing variables…"), which
 * Apollo would leave uncoded and the gateway would mask as its own fault: it is the client's input too.
 * The extensions object is the error's own (or its inner coercion error's), made for this request.
 */
function asBadUserInput(error: GraphQLError): GraphQLError {
  (error.extensions as Record<string, unknown>).code = "BAD_USER_INPUT";
  return error;
}

/**
 * The names of an operation's variables when each is declared `String` or `String!` with no default
 * (the common `mutation($refreshToken: String!)`), else undefined. graphql-js coerces a string given
 * for such a variable to itself and can refuse nothing about it (GraphQLString's parseValue accepts
 * every string), so when every one is given a string its coercion is skipped: ~1-2 µs of a cache hit.
 * Anything else (absent, null, another type) is coerced by graphql-js as always.
 */
function stringVariablesOf(definitions: readonly VariableDefinitionNode[]): readonly string[] | undefined {
  const names: string[] = [];
  for (const definition of definitions) {
    const type = definition.type.kind === Kind.NON_NULL_TYPE ? definition.type.type : definition.type;
    if (definition.defaultValue !== undefined || type.kind !== Kind.NAMED_TYPE || type.name.value !== "String") return undefined;
    names.push(definition.variable.name.value);
  }
  return names;
}

/**
 * Whether the operation selects `__schema` or `__type` (its root selections, through fragments).
 * Introspection is executed by graphql-js, never compiled: graphql-jit compiles it slowly (the
 * standard introspection query: 8-17 ms) and runs it slower than graphql-js does (a 160 KB answer:
 * ~18 ms against ~6 ms), and tools introspect once, not again and again.
 */
function selectsIntrospection(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const seen = new Set<string>();
  const selects = (selectionSet: SelectionSetNode): boolean =>
    selectionSet.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === "__schema" || selection.name.value === "__type";
      if (selection.kind === Kind.INLINE_FRAGMENT) return selects(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent: an unknown or cyclic spread never reaches execution (validation refuses it), and a fragment looked at twice answers the same
      if (fragment === undefined || seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return selects(fragment.selectionSet);
    });
  return selects(operation.selectionSet);
}

/** graphql-jit reports what it cannot compile, and may throw on constructs it does not support: either way graphql-js runs it. */
function compileOrGiveUp(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): Compiled | typeof NOT_COMPILABLE {
  try {
    // Stryker disable next-line LogicalOperator: equivalent: graphql-jit takes null as no operation name; `&&` compiles a named operation as the document's only one, and a document of several is then refused by graphql-jit and run by graphql-js (speed only)
    const query = compileQuery(schema, document, operationName ?? undefined);
    if (!isCompiledQuery(query)) return NOT_COMPILABLE;
    const operation = getOperationAST(document, operationName);
    // Stryker disable next-line ConditionalExpression: unreachable: the executor compiles only an operation Apollo resolved in this document
    if (!operation) return NOT_COMPILABLE;
    // Stryker disable next-line ArrayDeclaration: equivalent: graphql-js parses no variables as [], so the fallback is never used
    const parseVariables = compileVariableParsing(schema, operation.variableDefinitions ?? []);
    // Stryker disable next-line ArrayDeclaration: equivalent: graphql-js parses no variables as [], so the fallback is never used
    return { query, acceptsVariables: (variables) => !failToParseVariables(parseVariables(variables)), stringVariables: stringVariablesOf(operation.variableDefinitions ?? []) };
  } catch {
    return NOT_COMPILABLE;
  }
}

/**
 * graphql-jit's errors imitate graphql-js' but leave `extensions` undefined when the thrown error
 * has none, which Apollo's error formatting does not expect. Rebuilt as graphql-js errors: the same
 * message, path, locations and original error (whose `extensions` graphql-js adopts).
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, { path: error.path, ...(error.originalError ? { originalError: error.originalError } : {}) });
  // Stryker disable next-line BooleanLiteral: equivalent: Apollo answers an error's toJSON(), which writes locations whether or not the property is enumerable
  if (error.locations !== undefined) Object.defineProperty(rebuilt, "locations", { value: error.locations, enumerable: true });
  return rebuilt;
}

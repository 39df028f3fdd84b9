import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { execute, GraphQLError, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql/index.js"; // the CJS entry: see schema/build-schema.ts
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

/**
 * Execution through graphql-jit: each validated document is compiled once into a JavaScript
 * function (variable coercion, field walk and serialization specialised to that operation) and
 * reused for every request that sends it. graphql-js re-walks the document on every request; for
 * the gateway's two mutations that walk cost more than the rest of the GraphQL layer (bench/profile.ts).
 *
 * Plugged in through Apollo Server's gateway interface, the one place Apollo accepts an executor:
 * parsing, validation (our limits), APQ, plugins and error formatting stay Apollo's.
 * Compiled queries are keyed by Apollo's parsed DocumentNode, which Apollo's document store
 * reuses for a query text it has seen: they live (and are collected) with that LRU's entries.
 *
 * A request whose variables the compiled coercion rejects is re-run through graphql-js, so its
 * errors are graphql-js' own (nodes, messages) and Apollo answers them as BAD_USER_INPUT exactly as
 * before; a document graphql-jit cannot compile is executed by graphql-js every time.
 */
export function createCompiledExecution(schema: GraphQLSchema): GatewayInterface {
  const executor = createCompiledExecutor(schema);
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

/** Not compiled (graphql-jit refused the document): execute with graphql-js. */
const NOT_COMPILABLE = null;

export function createCompiledExecutor(schema: GraphQLSchema): GatewayExecutor {
  const compiledByDocument = new WeakMap<DocumentNode, Map<string, CompiledQuery | typeof NOT_COMPILABLE>>();

  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | typeof NOT_COMPILABLE => {
    let byOperation = compiledByDocument.get(document);
    if (byOperation === undefined) compiledByDocument.set(document, (byOperation = new Map()));
    const key = operationName ?? "";
    let compiled = byOperation.get(key);
    if (compiled === undefined) {
      compiled = compileOrGiveUp(schema, document, operationName);
      byOperation.set(key, compiled);
    }
    return compiled;
  };

  return async ({ document, operationName, request, context }) => {
    const variableValues = request.variables ?? {};
    const compiled = compiledFor(document, operationName);
    if (compiled !== NOT_COMPILABLE) {
      const result = (await compiled.query(undefined, context, variableValues)) as ExecutionResult;
      // No `data` at all: the variables did not coerce. graphql-js words those errors the way Apollo (BAD_USER_INPUT) and clients expect.
      if ("data" in result) return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphQLJsError) };
    }
    return execute({ schema, document, contextValue: context, variableValues, operationName });
  };
}

/** graphql-jit reports what it cannot compile, and may throw on constructs it does not support: either way graphql-js runs it. */
function compileOrGiveUp(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): CompiledQuery | typeof NOT_COMPILABLE {
  try {
    const result = compileQuery(schema, document, operationName ?? undefined);
    return isCompiledQuery(result) ? result : NOT_COMPILABLE;
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
  if (error.locations !== undefined) Object.defineProperty(rebuilt, "locations", { value: error.locations, enumerable: true });
  return rebuilt;
}

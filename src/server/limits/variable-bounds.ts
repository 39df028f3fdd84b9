import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLInputType, GraphQLSchema, VariableDefinitionNode } from "graphql";
import { GraphQLError, isEnumType, isInputObjectType, isListType, isNonNullType, isSpecifiedScalarType, typeFromAST } from "graphql/index.js";
import type { GatewayMetrics } from "../../metrics/metrics.js";
import { INPUT_BOUNDS_EXTENSION, type InputBounds } from "../../schema/input-bounds.js";

/**
 * Sizes of the request's variables, checked on the raw JSON before any coercion: every list no
 * longer than its bound, every string no longer than its bound, every input object with no more
 * keys than its type has fields, and no list or object where a built-in scalar or an enum goes. Bounds come from the schema (`@Bounded` on input fields, read from
 * the field's extensions); a list or string the schema does not bound gets DEFAULT_VARIABLE_BOUNDS.
 *
 * Why before coercion: coercion's cost grows with the input (graphql-jit formats the whole input
 * into each of its errors; graphql-js suggests names for every unknown key), and a 64 KB body holds
 * a 31,000-item list. The walk follows the declared variable types, stops at the first violation,
 * and looks at each value once: it costs less than the JSON parse that produced the variables.
 *
 * The refusal is HTTP 400 BAD_USER_INPUT naming the variable path (`input.scope`) and the bound,
 * never the value. Variables the operation does not declare are never coerced, so never walked.
 */

export interface VariableBounds {
  /** Items of a list whose field declares no maxItems (and of a list-typed variable). */
  maxItems: number;
  /** Characters of a string whose field declares no maxChars (and of a string variable). */
  maxChars: number;
  /** Nesting of input objects and lists followed; deeper is refused (recursive input types). */
  maxDepth: number;
}

export const DEFAULT_VARIABLE_BOUNDS: VariableBounds = { maxItems: 100, maxChars: 8192, maxDepth: 16 };

export interface BoundsViolation {
  /** Where, as the variable name and the input path: `input.scope`, `input.scope[3]`. */
  path: string;
  /** Which bound, in words: "a list of at most 50 items". */
  bound: string;
}

/** The first variable whose size breaks a bound, or undefined when all are within them. */
export function findBoundsViolation(
  schema: GraphQLSchema,
  definitions: readonly VariableDefinitionNode[],
  variables: Readonly<Record<string, unknown>>,
  defaults: VariableBounds = DEFAULT_VARIABLE_BOUNDS,
): BoundsViolation | undefined {
  for (const definition of definitions) {
    const name = definition.variable.name.value;
    if (!Object.prototype.hasOwnProperty.call(variables, name)) continue;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    // An unknown or non-input type fails validation before execution; nothing to bound.
    if (type === undefined) continue;
    const violation = walk(type, variables[name], name, undefined, 0, defaults);
    if (violation !== undefined) return violation;
  }
  return undefined;
}

function walk(type: GraphQLInputType, value: unknown, path: string, bounds: InputBounds | undefined, depth: number, defaults: VariableBounds): BoundsViolation | undefined {
  if (value === null || value === undefined) return undefined;
  if (isNonNullType(type)) return walk(type.ofType, value, path, bounds, depth, defaults);
  if (depth > defaults.maxDepth) return { path, bound: `input nested at most ${defaults.maxDepth} levels deep` };
  if (isListType(type)) {
    // A single value where a list is expected is coerced as a list of one.
    if (!Array.isArray(value)) return walk(type.ofType, value, path, bounds, depth + 1, defaults);
    const maxItems = bounds?.maxItems ?? defaults.maxItems;
    if (value.length > maxItems) return { path, bound: `a list of at most ${maxItems} items` };
    for (let index = 0; index < value.length; index++) {
      const violation = walk(type.ofType, value[index], `${path}[${index}]`, bounds, depth + 1, defaults);
      if (violation !== undefined) return violation;
    }
    return undefined;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== "object") return undefined; // coercion refuses it with one error
    const fields = type.getFields();
    const fieldCount = Object.keys(fields).length;
    // An array here would be read as an object with one key per item: count without listing them.
    const keyCount = Array.isArray(value) ? value.length : countKeysUpTo(value as object, fieldCount + 1);
    if (keyCount > fieldCount) return { path, bound: `an object with at most ${fieldCount} fields (those of ${type.name})` };
    if (Array.isArray(value)) return undefined;
    for (const key of Object.keys(value)) {
      const field = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
      if (field === undefined) continue; // coercion refuses unknown fields; there are few (counted above)
      const fieldBounds = field.extensions?.[INPUT_BOUNDS_EXTENSION] as InputBounds | undefined;
      const violation = walk(field.type, (value as Record<string, unknown>)[key], `${path}.${key}`, fieldBounds, depth + 1, defaults);
      if (violation !== undefined) return violation;
    }
    return undefined;
  }
  // A built-in scalar or an enum never takes a list or an object: refused here, since coercion would
  // format the whole value into its error, once per item of the enclosing list (50 × a 1 KB object: ms).
  if (typeof value === "object" && (isEnumType(type) || isSpecifiedScalarType(type))) return { path, bound: `a single ${type.name} value, not a list or an object` };
  // A scalar or an enum: only a string has a size of its own.
  const maxChars = bounds?.maxChars ?? defaults.maxChars;
  if (typeof value === "string" && value.length > maxChars) return { path, bound: `a string of at most ${maxChars} characters` };
  return undefined;
}

/** Own enumerable keys, counted up to `limit` (a JSON object parsed from the body has no others). */
function countKeysUpTo(value: object, limit: number): number {
  let count = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (++count >= limit) break;
  }
  return count;
}

export function boundsViolationError(violation: BoundsViolation): GraphQLError {
  return new GraphQLError(`Variable "$${violation.path.split(/[.[]/, 1)[0]}" is out of bounds at "${violation.path}": it must be ${violation.bound}.`, {
    extensions: { code: "BAD_USER_INPUT", retryable: false, field: violation.path, http: { status: 400 } },
  });
}

/** Refuses, before execution (so before any coercion), a request whose variables break a bound; counted in rejections{reason="variable_bounds"}. */
export function createVariableBoundsPlugin(options: { defaults?: VariableBounds; metrics?: GatewayMetrics | undefined } = {}): ApolloServerPlugin {
  const defaults = getValidDefaults(options.defaults ?? DEFAULT_VARIABLE_BOUNDS);
  return {
    async requestDidStart() {
      return {
        // The schema is the one Apollo executes (its field extensions carry the bounds).
        async didResolveOperation({ operation, request, schema }) {
          const definitions = operation?.variableDefinitions;
          if (definitions === undefined || definitions.length === 0 || request.variables === undefined) return;
          const violation = findBoundsViolation(schema, definitions, request.variables, defaults);
          if (violation === undefined) return;
          options.metrics?.rejections.inc({ reason: "variable_bounds" });
          throw boundsViolationError(violation);
        },
      };
    },
  };
}

function getValidDefaults(defaults: VariableBounds): VariableBounds {
  for (const key of ["maxItems", "maxChars", "maxDepth"] as const) {
    const value = defaults?.[key];
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`createVariableBoundsPlugin: defaults.${key} must be a positive integer (got ${String(value)})`);
  }
  return defaults;
}

import { createRequire } from "node:module";
import type { ASTVisitor, DocumentNode, FragmentDefinitionNode, SelectionSetNode, ValidationContext } from "graphql";
import { GraphQLError, Kind } from "graphql/index.js"; // the CJS entry: see schema/build-schema.ts

/**
 * Bounds on a document's selections with fragments expanded, checked at the document before any
 * other rule looks at a selection set (an attacker review found both, each within MAX_TOKENS,
 * MAX_COST, MAX_DEPTH and MAX_ALIASES):
 *
 * - Repeated selections. graphql-js' rule "overlapping fields can be merged" compares every pair of
 *   selections that land on one response field (the same field or alias in the same place, through
 *   inline fragments and fragment spreads too), and their sub-selections' pairs in turn: n repeats
 *   cost n² comparisons. 249 × `gateway { version }` (5 KB, cost 872) cost 15–60 ms of CPU to
 *   validate; one caller sending distinct ones at its allowance took 3.9 s of the process's CPU in
 *   6 s and held another caller's /healthz at a p99 of 770 ms. At most MAX_REPEATED_SELECTION_PAIRS
 *   pairs (a field selected n times in one place: n(n-1)/2): 63 repeats of one field, where
 *   legitimate documents repeat a field a few times (`__typename` in each fragment).
 * - Introspection depth. graphql-armor's depth and cost limits skip `__schema` (the standard
 *   introspection query nests 15 deep), so `__schema { types { ofType { ofType … } } }` could nest as
 *   deep as MAX_TOKENS allows; graphql-jit's compilation grows with the square of the depth: 300
 *   levels (3.3 KB) cost 110–400 ms to compile (~500 ms a request), and one caller at its allowance
 *   froze the process (12.8 s of CPU in 4 s; /healthz answered after 26 s). Beneath `__schema` at
 *   most max(MAX_INTROSPECTION_DEPTH, MAX_DEPTH) levels.
 * - Aliases in introspection: none on `__schema` or beneath it (nor in a fragment on an
 *   introspection type). Without one, repeated selections merge into one response field, so an
 *   introspection answer is bounded by the schema; each alias answers the schema again: 15 aliases
 *   of `__schema { types { …every field… } }` (1.2 KB, ~1,500 expanded selections, within every bound
 *   above) answered 740 KB and cost ~130 ms of CPU each (graphql-jit compilation ~75 ms, execution
 *   ~60 ms); one caller at its allowance held another caller's /healthz at a p50 of 2.6 s and a p99
 *   of 13.9 s (an attacker review). Introspection tools send the standard query, which has none.
 * - Expanded selections: at most max(MAX_EXPANDED_SELECTIONS, 2 × MAX_COST) selections with
 *   fragments expanded (the standard introspection query expands to 230; elsewhere every field
 *   costs at least 1, so MAX_COST refuses well before). This also bounds the count itself; a
 *   fragment spread inside itself (a cycle, which another rule reports) is not followed.
 *
 * The counts are the whole document's, as validation's work is: every definition's selections, a
 * fragment's counted where it is defined and again wherever it is spread (a document defining the
 * fragment first is refused at 56 repeats of a field, not 64).
 *
 * A refusal is its error first, then graphql-js' "Validation aborted.": the rest of validation
 * (the quadratic part included) does not run, nor does compilation.
 */
export const MAX_REPEATED_SELECTION_PAIRS = 2_000;
export const MAX_EXPANDED_SELECTIONS = 2_000;
export const MAX_INTROSPECTION_DEPTH = 32;

export interface ExpandedSelectionLimits {
  /** MAX_DEPTH: the introspection depth bound is never below it. */
  maxDepth: number;
  /** MAX_COST: the expanded selections bound is never below twice it. */
  maxCost: number;
}

/** How much of a response field's name a refusal quotes (an alias is the caller's text, of any length). */
const QUOTED_NAME_CHARS = 64;

/**
 * graphql-js stops validation, keeping the errors reported so far, when a rule throws this very
 * object (its own budgets do: validate.js). Not part of its public API, hence loaded by path; without
 * it the refusal is still reported, and validation goes on.
 */
const validationAbortedError = loadValidationAbortedError();

function loadValidationAbortedError(): GraphQLError | undefined {
  try {
    const { validationAbortedError: error } = createRequire(import.meta.url)("graphql/validation/validationAbortedError.js") as { validationAbortedError?: unknown };
    return error instanceof GraphQLError ? error : undefined;
  } catch {
    return undefined;
  }
}

interface ResponseField {
  selections: number;
  children: Map<string, ResponseField> | undefined;
}

export type ExpandedSelectionsVerdict = { ok: true } | { ok: false; message: string };

const quote = (name: string) => (name.length > QUOTED_NAME_CHARS ? `${name.slice(0, QUOTED_NAME_CHARS)}…` : name);

/** Checks `document` (every operation and fragment definition, as graphql-js validates each) against the bounds above. */
export function checkExpandedSelections(document: DocumentNode, limits: ExpandedSelectionLimits): ExpandedSelectionsVerdict {
  const maxExpanded = Math.max(MAX_EXPANDED_SELECTIONS, 2 * limits.maxCost);
  const maxIntrospectionDepth = Math.max(MAX_INTROSPECTION_DEPTH, limits.maxDepth);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let pairs = 0;
  let expanded = 0;
  let refusal: string | undefined;
  const expanding = new Set<string>();

  /** `introspectionDepth`: the fields beneath a `__schema` on the way here (0 outside one). */
  const walk = (selectionSet: SelectionSetNode, fields: Map<string, ResponseField>, introspectionDepth: number): boolean => {
    for (const selection of selectionSet.selections) {
      if (++expanded > maxExpanded) {
        refusal = `Expanded selections limit of ${maxExpanded} exceeded: the document's selections, its fragments expanded, are more than that (2 × MAX_COST).`;
        return false;
      }
      if (selection.kind === Kind.FIELD) {
        const name = selection.alias?.value ?? selection.name.value;
        let field = fields.get(name);
        if (field === undefined) fields.set(name, (field = { selections: 1, children: undefined }));
        else {
          pairs += field.selections;
          field.selections += 1;
          if (pairs > MAX_REPEATED_SELECTION_PAIRS) {
            refusal = `Repeated selections limit of ${MAX_REPEATED_SELECTION_PAIRS} pairs exceeded ("${quote(name)}" is selected ${field.selections} times in one place, fragments included): graphql validation compares every pair, so select a field once where it is needed.`;
            return false;
          }
        }
        const depth = introspectionDepth > 0 ? introspectionDepth + 1 : selection.name.value === "__schema" ? 1 : 0;
        if (depth > 0 && selection.alias !== undefined) {
          refusal = `Aliases in introspection are refused ("${quote(selection.alias.value)}" on ${selection.name.value === "__schema" ? "__schema" : "a field beneath __schema"}): each one introspects the schema again (the standard introspection query has none).`;
          return false;
        }
        if (selection.selectionSet === undefined) continue;
        if (depth > maxIntrospectionDepth) {
          refusal = `Introspection depth limit of ${maxIntrospectionDepth} exceeded: fields nested deeper than that beneath __schema (the standard introspection query nests 15 deep).`;
          return false;
        }
        if (!walk(selection.selectionSet, (field.children ??= new Map()), depth)) return false;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!walk(selection.selectionSet, fields, introspectionDepth)) return false;
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined || expanding.has(name)) continue;
        expanding.add(name);
        const ok = walk(fragment.selectionSet, fields, introspectionDepth);
        expanding.delete(name);
        if (!ok) return false;
      }
    }
    return true;
  };

  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    if (definition.kind === Kind.FRAGMENT_DEFINITION) expanding.add(definition.name.value);
    // A fragment on an introspection type is introspection wherever it is spread: its depth counts from 1.
    const start = definition.kind === Kind.FRAGMENT_DEFINITION && definition.typeCondition.name.value.startsWith("__") ? 1 : 0;
    const ok = walk(definition.selectionSet, new Map(), start);
    expanding.clear();
    if (!ok) return { ok: false, message: refusal! };
  }
  return { ok: true };
}

/**
 * The validation rule: at the document (before any selection set is visited), refuses a document
 * over the bounds above and stops validation. `onReject` counts the refusal (metrics).
 */
export function createExpandedSelectionsRule(limits: ExpandedSelectionLimits, options: { onReject?: () => void } = {}): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    Document(document) {
      const verdict = checkExpandedSelections(document, limits);
      if (verdict.ok) return undefined;
      options.onReject?.();
      context.reportError(new GraphQLError(verdict.message));
      // Stryker disable next-line ConditionalExpression: equivalent: graphql 16 has its abort error (loaded at start), so the check is always true here
      if (validationAbortedError !== undefined) throw validationAbortedError;
      // Stryker disable next-line BooleanLiteral: unreachable: the line above throws (graphql 16 has its abort error)
      return false;
    },
  });
}

import { readFileSync } from "node:fs";
import { getIntrospectionQuery, parse } from "graphql";
// The CJS entry, as the gateway's (schema/build-schema.ts): graphql-js stops validation for its own instance's abort error.
import { buildSchema, parse as parseCjs, specifiedRules, validate, type ValidationRule } from "graphql/index.js";
import { describe, expect, it } from "vitest";
import { checkExpandedSelections, createExpandedSelectionsRule } from "../../../src/server/limits/expanded-selections.rule.js";

/** The walk of limits/expanded-selections.rule.ts at its edges (the gateway-level refusals: test/integration/hardening/expanded-selections.test.ts). */
const DEFAULTS = { maxDepth: 8, maxCost: 1000 };
const check = (query: string, limits = DEFAULTS) => checkExpandedSelections(parse(query), limits);
const refusedWith = (pattern: RegExp) => ({ ok: false, message: expect.stringMatching(pattern) });

describe("checkExpandedSelections", () => {
  it("counts repeats of one response field across inline fragments and spreads: 63 selections (1,953 pairs) pass, 64 (2,016) do not", () => {
    expect(check(`{ ${"gateway { version } ".repeat(45)}}`)).toEqual({ ok: true });
    expect(check(`{ ${"__typename ".repeat(63)}}`)).toEqual({ ok: true });
    expect(check(`{ ${"__typename ".repeat(32)} ... on Query { ${"__typename ".repeat(32)}} }`)).toEqual(refusedWith(/^Repeated selections limit of 2000 pairs exceeded \("__typename" is selected 64 times/));
    expect(check(`{ ...A ...B } fragment A on Query { ${"__typename ".repeat(32)}} fragment B on Query { ${"__typename ".repeat(32)}}`)).toEqual(refusedWith(/^Repeated selections limit/));
    // Aliases are response fields of their own.
    expect(check(`{ ${Array.from({ length: 15 }, (_, a) => `a${a}: gateway { ${"version ".repeat(16)}}`).join(" ")} }`)).toEqual({ ok: true });
  });

  it("bounds depth beneath __schema only (32; MAX_DEPTH when higher), through fragments on introspection types too", () => {
    const deep = (levels: number) => `{ __schema { types { ${"ofType { ".repeat(levels)}name ${"} ".repeat(levels)}} } }`;
    expect(check(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true }))).toEqual({ ok: true });
    expect(check(deep(30))).toEqual({ ok: true });
    expect(check(deep(31))).toEqual(refusedWith(/^Introspection depth limit of 32 exceeded/));
    expect(check(deep(31), { maxDepth: 40, maxCost: 1000 })).toEqual({ ok: true });
    expect(check(`fragment F on __Type { ${"ofType { ".repeat(32)}name ${"} ".repeat(32)}}`)).toEqual(refusedWith(/^Introspection depth limit/));
    // Outside __schema depth is MAX_DEPTH's (graphql-armor), not this rule's.
    expect(check(`{ __type(name: "Query") { ${"ofType { ".repeat(40)}name ${"} ".repeat(40)}} }`)).toEqual({ ok: true });
  });

  it("refuses aliases on __schema and beneath it (each answers the schema again), through fragments on introspection types too", () => {
    // An attacker review: 15 aliases of __schema { types { …every field… } } (1.2 KB, within every other bound) answered
    // 740 KB for ~130 ms of CPU, and one caller at its allowance held another's /healthz at a p99 of 13.9 s.
    const everyField = "kind name description fields(includeDeprecated: true) { name description args { name description type { kind name ofType { kind name } } } type { kind name ofType { kind name ofType { kind name } } } } inputFields { name type { name } } enumValues { name description } interfaces { name } possibleTypes { name }";
    expect(check(`{ ${Array.from({ length: 15 }, (_, a) => `s${a}: __schema { types { ...T } }`).join(" ")} } fragment T on __Type { ${everyField} }`)).toEqual(refusedWith(/^Aliases in introspection are refused \("s0" on __schema\)/));
    expect(check("{ __schema { a: types { name } b: types { name } } }")).toEqual(refusedWith(/^Aliases in introspection are refused \("a" on a field beneath __schema\)/));
    expect(check("{ __schema { types { ...T } } } fragment T on __Type { n: name }")).toEqual(refusedWith(/^Aliases in introspection are refused/));
    // Without aliases repeated selections merge into one answer: accepted, as are aliases elsewhere and of __type.
    expect(check(`{ __schema { types { ...T } } ...Q } fragment Q on Query { __schema { types { ...T } queryType { name } } } fragment T on __Type { ${everyField} }`)).toEqual({ ok: true });
    expect(check(`{ a: __type(name: "Query") { name } b: __type(name: "Mutation") { name } g: gateway { version } }`)).toEqual({ ok: true });
  });

  it("bounds the expansion (2 × MAX_COST, at least 2,000) and does not follow a fragment spread inside itself", () => {
    const doubling = (levels: number) => `{ ...F0 } ${Array.from({ length: levels }, (_, k) => `fragment F${k} on Query { a${k}: gateway { ...F${k + 1} } b${k}: gateway { ...F${k + 1} } }`).join(" ")} fragment F${levels} on Query { __typename }`;
    expect(check(doubling(3))).toEqual({ ok: true });
    expect(check(doubling(12))).toEqual(refusedWith(/^Expanded selections limit of 2000 exceeded/));
    expect(check(doubling(12), { maxDepth: 8, maxCost: 100_000 })).toEqual({ ok: true });
    expect(check("{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A gateway { version } }")).toEqual({ ok: true });
  });
});

describe("the expanded-selections validation rule", () => {
  const schema = buildSchema(readFileSync(new URL("../../../schema.graphql", import.meta.url), "utf8"));
  /** Validates `query` with the rule first, as operation-limits.ts orders it, and counts the selection sets the other rules then visit. */
  const validated = (query: string) => {
    let selectionSetsVisited = 0;
    const counting: ValidationRule = () => ({ SelectionSet: () => void (selectionSetsVisited += 1) });
    const rejected: string[] = [];
    const rule = createExpandedSelectionsRule(DEFAULTS, { onReject: () => rejected.push("expanded_selections") });
    const errors = validate(schema, parseCjs(query), [rule, ...specifiedRules, counting]);
    return { messages: errors.map((error) => error.message), selectionSetsVisited, rejected };
  };

  it("stops validation at a refusal: no other rule visits a selection set (graphql-js compares repeated selections pairwise there)", () => {
    const refused = validated(`{ ${"gateway { version } ".repeat(249)}}`);
    expect(refused.messages[0]).toMatch(/^Repeated selections limit of 2000 pairs exceeded/);
    expect(refused.messages.slice(1)).toEqual(["Validation aborted."]);
    expect(refused.selectionSetsVisited).toBe(0);
    expect(refused.rejected).toEqual(["expanded_selections"]);

    const deep = validated(`{ __schema { types { ${"ofType { ".repeat(300)}name ${"} ".repeat(300)}} } }`);
    expect(deep.messages[0]).toMatch(/^Introspection depth limit of 32 exceeded/);
    expect(deep.selectionSetsVisited).toBe(0);
  });

  it("lets a document within the bounds through to every other rule", () => {
    const accepted = validated(`{ ${"gateway { version } ".repeat(45)}}`);
    expect(accepted.messages).toEqual([]);
    expect(accepted.selectionSetsVisited).toBe(46);
    expect(accepted.rejected).toEqual([]);
  });
});

import { getIntrospectionQuery, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { checkExpandedSelections } from "../../../src/server/limits/expanded-selections.rule.js";

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

  it("bounds the expansion (2 × MAX_COST, at least 2,000) and does not follow a fragment spread inside itself", () => {
    const doubling = (levels: number) => `{ ...F0 } ${Array.from({ length: levels }, (_, k) => `fragment F${k} on Query { a${k}: gateway { ...F${k + 1} } b${k}: gateway { ...F${k + 1} } }`).join(" ")} fragment F${levels} on Query { __typename }`;
    expect(check(doubling(3))).toEqual({ ok: true });
    expect(check(doubling(12))).toEqual(refusedWith(/^Expanded selections limit of 2000 exceeded/));
    expect(check(doubling(12), { maxDepth: 8, maxCost: 100_000 })).toEqual({ ok: true });
    expect(check("{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A gateway { version } }")).toEqual({ ok: true });
  });
});

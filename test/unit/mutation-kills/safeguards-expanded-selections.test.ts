import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { buildSchema, parse as parseCjs, specifiedRules, validate } from "graphql/index.js"; // the CJS entry, as the gateway's
import { checkExpandedSelections, createExpandedSelectionsRule, MAX_EXPANDED_SELECTIONS, MAX_REPEATED_SELECTION_PAIRS } from "../../../src/server/limits/expanded-selections.rule.js";

/**
 * The expanded-selections rule (src/server/limits/expanded-selections.rule.ts) at its exact bounds, and the
 * fragments it follows or not: what a caller is answered (accepted, or the refusal's message). Its other edges:
 * test/unit/server/expanded-selections.test.ts.
 */
const LIMITS = { maxDepth: 8, maxCost: 1000 };
const check = (query: string) => checkExpandedSelections(parse(query), LIMITS);
const repeat = (selection: string, times: number) => `${selection} `.repeat(times);

describe("checkExpandedSelections at its bounds", () => {
  it(`accepts exactly ${MAX_REPEATED_SELECTION_PAIRS} repeated-selection pairs, summed over fields, and refuses one more`, () => {
    // 63 × a: 1,953 pairs; 10 × b: 45; 2 × c and 2 × d: 1 each. 2,000 in all.
    const exactly = `${repeat("a: __typename", 63)}${repeat("b: __typename", 10)}${repeat("c: __typename", 2)}${repeat("d: __typename", 2)}`;
    expect(check(`{ ${exactly} }`)).toEqual({ ok: true });
    expect(check(`{ ${exactly}${repeat("e: __typename", 2)} }`)).toEqual({
      ok: false,
      message: 'Repeated selections limit of 2000 pairs exceeded ("e" is selected 2 times in one place, fragments included): graphql validation compares every pair, so select a field once where it is needed.',
    });
  });

  it(`accepts exactly ${MAX_EXPANDED_SELECTIONS} selections (2 × MAX_COST when higher) and refuses one more`, () => {
    const distinct = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `f${i}: __typename`).join(" ")} }`;
    expect(check(distinct(2_000))).toEqual({ ok: true });
    expect(check(distinct(2_001))).toEqual({ ok: false, message: "Expanded selections limit of 2000 exceeded: the document's selections, its fragments expanded, are more than that (2 × MAX_COST)." });
    expect(checkExpandedSelections(parse(distinct(3_000)), { maxDepth: 8, maxCost: 1_500 })).toEqual({ ok: true });
  });

  it("quotes at most 64 characters of a response field's name, marking the cut", () => {
    const long = `a${"x".repeat(99)}`;
    const verdict = check(`{ ${repeat(`${long}: __typename`, 64)} }`);
    expect(verdict).toEqual({ ok: false, message: expect.stringContaining(`("${long.slice(0, 64)}…" is selected 64 times`) });
    const sixtyFour = `a${"x".repeat(63)}`;
    expect(check(`{ ${repeat(`${sixtyFour}: __typename`, 64)} }`)).toEqual({ ok: false, message: expect.stringContaining(`("${sixtyFour}" is selected 64 times`) });
    const alias = `s${"y".repeat(80)}`;
    expect(check(`{ ${alias}: __schema { types { name } } }`)).toEqual({ ok: false, message: expect.stringContaining(`("${alias.slice(0, 64)}…" on __schema)`) });
  });
});

describe("checkExpandedSelections and fragments", () => {
  it("passes over a spread of a fragment the document does not define (another rule reports it)", () => {
    expect(check("{ ...Missing __typename }")).toEqual({ ok: true });
  });

  it("expands a fragment wherever it is spread, after its own definition was checked", () => {
    // F, checked on its own first (496 pairs: the count is the document's), is then expanded twice in the operation:
    // past 2,000 pairs at its 56th __typename there.
    expect(check(`fragment F on Query { ${repeat("__typename", 32)}} query { ...F ...F }`)).toEqual({ ok: false, message: expect.stringMatching(/^Repeated selections limit of 2000 pairs exceeded \("__typename" is selected 56 times/) });
    expect(check(`query { ...F ...F } fragment F on Query { ${repeat("__typename", 32)}}`)).toEqual({ ok: false, message: expect.stringMatching(/is selected 64 times/) });
  });

  it("refuses an alias a fragment on another type brings beneath __schema, though the fragment alone has none there", () => {
    expect(check("{ __schema { ...Q } } fragment Q on Query { a: __typename }")).toEqual({ ok: false, message: expect.stringMatching(/^Aliases in introspection are refused \("a" on a field beneath __schema\)/) });
  });

  it("walks only operations and fragments: other definitions (refused by graphql's own rules) are passed over", () => {
    expect(check("{ __typename } scalar Extra type Other { a: Int }")).toEqual({ ok: true });
  });

  it("does not expand a fragment inside its own definition (a cycle, which graphql's own rule reports)", () => {
    expect(check(`{ __typename } fragment A on Query { ${repeat("__typename", 63)}...A }`)).toEqual({ ok: true });
  });
});

describe("the rule without an onReject counter", () => {
  it("refuses as with one", () => {
    const schema = buildSchema("type Query { a: Int }");
    const errors = validate(schema, parseCjs(`{ ${repeat("a", 64)}}`), [createExpandedSelectionsRule(LIMITS), ...specifiedRules]);
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/^Repeated selections limit of 2000 pairs exceeded/), "Validation aborted."]);
  });
});

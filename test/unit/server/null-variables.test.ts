import { buildSchema, parse, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { findNullAtRequiredPosition } from "../../../src/server/limits/null-variables.js";

const schema = buildSchema(`
  enum Grant { A B }
  input In { grant: Grant!, secret: String, scope: [String!], nested: Nested }
  input Nested { required: String!, optional: String }
  type Out { value(required: Int!, optional: Int): Int }
  type Query { f(input: In!): Out, g(input: In): Out }
`);

function find(query: string, variables: Record<string, unknown>) {
  const document = parse(query);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === "OperationDefinition")!;
  return findNullAtRequiredPosition(schema, document, operation, variables);
}

describe("findNullAtRequiredPosition", () => {
  it.each([
    ['query($g: Grant = A) { f(input: { grant: $g, secret: "s" }) { value(required: 1) } }', { g: null }, { variable: "g", field: "input.grant" }],
    ['query($s: String = "x") { f(input: { grant: A, scope: ["a", $s] }) { value(required: 1) } }', { s: null }, { variable: "s", field: "input.scope[1]" }],
    ['query($r: String = "x") { g(input: { grant: A, nested: { required: $r } }) { value(required: 1) } }', { r: null }, { variable: "r", field: "input.nested.required" }],
    ["query($i: In = { grant: A }) { f(input: $i) { value(required: 1) } }", { i: null }, { variable: "i", field: "input" }],
    ["query($n: Int = 1) { g { value(required: $n) } }", { n: null }, { variable: "n", field: "required" }],
    ["query($b: Boolean = true) { g { ...F } } fragment F on Out { value(required: 1) @include(if: $b) }", { b: null }, { variable: "b", field: "@include(if)" }],
  ])("finds %s", (query, variables, expected) => {
    expect(find(query, variables)).toEqual(expected);
  });

  it.each([
    ['query($s: String) { f(input: { grant: A, secret: $s }) { value(required: 1, optional: $s) } }', { s: null }],
    ['query($g: Grant = A) { f(input: { grant: $g }) { value(required: 1) } }', {}],
    ['query($g: Grant = A) { f(input: { grant: $g }) { value(required: 1) } }', { g: "B" }],
    ["query($g: Grant!) { f(input: { grant: $g }) { value(required: 1) } }", { g: null }],
    ["query($o: String) { g(input: { grant: A, nested: { required: \"x\", optional: $o } }) { value(required: 1) } }", { o: null }],
  ])("finds nothing in %s", (query, variables) => {
    expect(find(query, variables)).toBeUndefined();
  });
});

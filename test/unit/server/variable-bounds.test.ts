import "reflect-metadata";
import { getOperationAST, GraphQLInputObjectType, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from "graphql/index.js"; // the CJS entry on purpose: see src/schema/build-schema.ts
import { beforeAll, describe, expect, it } from "vitest";
import { buildGatewaySchema } from "../../../src/schema/build-schema.js";
import { boundsViolationError, createVariableBoundsPlugin, DEFAULT_VARIABLE_BOUNDS, findBoundsViolation } from "../../../src/server/limits/variable-bounds.js";
import { LIMITS } from "../../../src/tokens/grant-validation.js";

const CREATE = parse("mutation C($input: CreateTokenWithIAMInput!, $extra: String, $many: [[String!]]) { createTokenWithIAM(input: $input) { accessToken } }");
const definitions = getOperationAST(CREATE)!.variableDefinitions!;

describe("variable bounds, checked on the raw variables before coercion", () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildGatewaySchema();
  });
  const check = (variables: Record<string, unknown>) => findBoundsViolation(schema, definitions, variables);
  const input = (fields: Record<string, unknown>) => ({ input: { grantType: "JWT_BEARER", assertion: "eyJ", ...fields } });

  it("accepts inputs within the bounds the schema declares (grant-validation's LIMITS), at the bounds themselves", () => {
    expect(check(input({ scope: Array(LIMITS.scopeItems).fill("s".repeat(LIMITS.scopeItemChars)), assertion: "a".repeat(LIMITS.secretTokenChars) }))).toBeUndefined();
    expect(check(input({ scope: null, clientId: null }))).toBeUndefined();
    expect(check({})).toBeUndefined();
  });

  it("names the list that is too long, and the bound, at the first violation", () => {
    expect(check(input({ scope: Array(31_000).fill(1) }))).toEqual({ path: "input.scope", bound: `a list of at most ${LIMITS.scopeItems} items` });
  });

  it("names the list item or field whose string is too long", () => {
    expect(check(input({ scope: ["openid", "s".repeat(LIMITS.scopeItemChars + 1)] }))).toEqual({ path: "input.scope[1]", bound: `a string of at most ${LIMITS.scopeItemChars} characters` });
    expect(check(input({ assertion: "a".repeat(LIMITS.secretTokenChars + 1) }))?.path).toBe("input.assertion");
    expect(check(input({ codeVerifier: "v".repeat(129) }))?.path).toBe("input.codeVerifier");
  });

  it("bounds an input object's keys by its type's fields, counting an array without listing it", () => {
    const padded = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    expect(check({ input: padded })?.bound).toMatch(/^an object with at most 11 fields/);
    expect(check({ input: Array(31_000).fill("x") })?.path).toBe("input");
  });

  it("refuses a list or an object where a built-in scalar or an enum goes, at the first one", () => {
    expect(check(input({ scope: ["openid", { a: "v".repeat(1000) }, {}] }))).toEqual({ path: "input.scope[1]", bound: "a single String value, not a list or an object" });
    expect(check(input({ grantType: ["JWT_BEARER"] }))?.path).toBe("input.grantType");
  });

  it("gives lists and strings the schema does not bound the defaults, and leaves undeclared variables alone", () => {
    expect(check({ extra: "x".repeat(DEFAULT_VARIABLE_BOUNDS.maxChars + 1) })?.path).toBe("extra");
    expect(check({ many: [Array(DEFAULT_VARIABLE_BOUNDS.maxItems + 1).fill("x")] })?.path).toBe("many[0]");
    expect(check({ many: "x" })).toBeUndefined();
    expect(check({ notDeclared: "x".repeat(60_000) })).toBeUndefined();
  });

  it("stops following a recursive input type past the default depth", () => {
    const Node: GraphQLInputObjectType = new GraphQLInputObjectType({ name: "Node", fields: () => ({ next: { type: Node }, items: { type: new GraphQLList(GraphQLString) } }) });
    const recursive = new GraphQLSchema({ query: new GraphQLObjectType({ name: "Query", fields: { walk: { type: GraphQLString, args: { node: { type: Node } } } } }) });
    let node: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) node = { next: node };
    const nodeDefinitions = getOperationAST(parse("query($node: Node) { walk(node: $node) }"))!.variableDefinitions!;
    expect(findBoundsViolation(recursive, nodeDefinitions, { node })?.bound).toBe(`input nested at most ${DEFAULT_VARIABLE_BOUNDS.maxDepth} levels deep`);
  });

  it("refuses as BAD_USER_INPUT (HTTP 400) naming the path, never the value", () => {
    const error = boundsViolationError({ path: "input.scope", bound: "a list of at most 50 items" });
    expect(error.message).toBe('Variable "$input" is out of bounds at "input.scope": it must be a list of at most 50 items.');
    expect(error.extensions).toEqual({ code: "BAD_USER_INPUT", retryable: false, field: "input.scope", http: { status: 400 } });
  });

  it("walks a 64 KB body's worst case at the first violation, touching few values", () => {
    // A list of 31,000 long-ish strings: the walk stops at the length, before any item.
    let touched = 0;
    const items = new Proxy(Array(31_000).fill("x"), { get: (target, key) => (typeof key === "string" && /^\d+$/.test(key) && touched++, Reflect.get(target, key)) });
    expect(check(input({ scope: items }))?.path).toBe("input.scope");
    expect(touched).toBe(0);
  });
});

describe("variable bounds at their exact edges", () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildGatewaySchema();
  });
  const check = (variables: Record<string, unknown>) => findBoundsViolation(schema, definitions, variables);
  const EVERY_FIELD = {
    clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-1", grantType: "AUTHORIZATION_CODE", code: "c", refreshToken: "r", assertion: "a", scope: ["openid"],
    redirectUri: "https://app.example/cb", subjectToken: "t", subjectTokenType: "urn:x", requestedTokenType: "urn:y", codeVerifier: "v",
  };

  it("accepts an input object carrying every field of its type (as many keys as fields), and refuses one key more", () => {
    expect(Object.keys(EVERY_FIELD)).toHaveLength(11);
    expect(check({ input: EVERY_FIELD })).toBeUndefined();
    expect(check({ input: { ...EVERY_FIELD, extra: 1 } })).toEqual({ path: "input", bound: "an object with at most 11 fields (those of CreateTokenWithIAMInput)" });
  });

  it("leaves an unknown key within the key count to coercion (no bound broken, no throw)", () => {
    expect(check({ input: { grantType: "JWT_BEARER", assertion: "eyJ", notAField: "x".repeat(DEFAULT_VARIABLE_BOUNDS.maxChars + 1) } })).toBeUndefined();
  });

  it("leaves a string where an input object goes to coercion, however long", () => {
    expect(check({ input: "x".repeat(50) })).toBeUndefined();
  });

  it("finds a violation in a later variable when the first declared one is within bounds", () => {
    expect(check({ input: { grantType: "JWT_BEARER", assertion: "eyJ" }, extra: "x".repeat(DEFAULT_VARIABLE_BOUNDS.maxChars + 1) })).toEqual({ path: "extra", bound: `a string of at most ${DEFAULT_VARIABLE_BOUNDS.maxChars} characters` });
  });

  it("bounds a single value where a list goes as the item it is coerced to: its string length, never a list length", () => {
    expect(check({ input: { grantType: "JWT_BEARER", assertion: "eyJ", scope: "s".repeat(LIMITS.scopeItems + 1) } })).toBeUndefined();
    expect(check({ input: { grantType: "JWT_BEARER", assertion: "eyJ", scope: "s".repeat(LIMITS.scopeItemChars + 1) } })).toEqual({ path: "input.scope", bound: `a string of at most ${LIMITS.scopeItemChars} characters` });
  });

  describe("nesting depth of a recursive input type", () => {
    const Node: GraphQLInputObjectType = new GraphQLInputObjectType({ name: "Node", fields: () => ({ next: { type: Node }, list: { type: new GraphQLList(Node) } }) });
    const recursive = new GraphQLSchema({ query: new GraphQLObjectType({ name: "Query", fields: { walk: { type: GraphQLString, args: { node: { type: Node } } } } }) });
    const nodeDefinitions = getOperationAST(parse("query($node: Node) { walk(node: $node) }"))!.variableDefinitions!;
    const bounds = { ...DEFAULT_VARIABLE_BOUNDS, maxDepth: 4 };
    const depthOf = (node: unknown) => findBoundsViolation(recursive, nodeDefinitions, { node }, bounds);
    const nested = (levels: number, wrap: (inner: unknown) => unknown) => {
      let node: unknown = {};
      for (let i = 0; i < levels; i++) node = wrap(node);
      return node;
    };
    const tooDeep = { bound: "input nested at most 4 levels deep" };

    it("accepts input exactly maxDepth levels deep and refuses one level more, naming where", () => {
      expect(depthOf(nested(4, (inner) => ({ next: inner })))).toBeUndefined();
      expect(depthOf(nested(5, (inner) => ({ next: inner })))).toEqual({ path: "node.next.next.next.next.next", ...tooDeep });
    });

    it("counts a list level and its item as two levels", () => {
      expect(depthOf(nested(2, (inner) => ({ list: [inner] })))).toBeUndefined();
      expect(depthOf(nested(3, (inner) => ({ list: [inner] })))).toEqual({ path: "node.list[0].list[0].list", ...tooDeep });
    });

    it("counts a single value where a list goes as a list level too", () => {
      expect(depthOf(nested(2, (inner) => ({ list: inner })))).toBeUndefined();
      expect(depthOf(nested(3, (inner) => ({ list: inner })))).toEqual({ path: "node.list.list.list", ...tooDeep });
    });
  });
});

describe("the variable-bounds plugin's own bounds", () => {
  it("accepts bounds of exactly 1 and refuses 0 or a fraction, naming the option and the value", () => {
    expect(() => createVariableBoundsPlugin({ defaults: { maxItems: 1, maxChars: 1, maxDepth: 1 } })).not.toThrow();
    expect(() => createVariableBoundsPlugin({ defaults: { maxItems: 1, maxChars: 0, maxDepth: 1 } })).toThrow(new TypeError("createVariableBoundsPlugin: defaults.maxChars must be a positive integer (got 0)"));
    expect(() => createVariableBoundsPlugin({ defaults: { maxItems: 1, maxChars: 1, maxDepth: 1.5 } })).toThrow(new TypeError("createVariableBoundsPlugin: defaults.maxDepth must be a positive integer (got 1.5)"));
  });
});

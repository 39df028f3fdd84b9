import { describe, expect, it } from "vitest";
import { buildSchema, parse, validate } from "graphql";
import { redactLiteralValue, redactVariableValue, variableErrorField } from "../../../src/server/redact-variable-value.js";

const SECRET = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";

describe("redactVariableValue", () => {
  it("drops the whole-variable value and keeps the reason", () => {
    const reason = 'Field "grantType" of required type "GrantType!" was not provided.';
    const message = `Variable "$input" got invalid value { assertion: "${SECRET}" }; ${reason}`;
    expect(redactVariableValue(message, reason)).toBe(`Variable "$input" got invalid value; ${reason}`);
  });

  it("keeps the path of a nested invalid value, and drops the value graphql's enum coercion quotes", () => {
    const reason = `Value "${SECRET}" does not exist in "GrantType" enum.`;
    const message = `Variable "$input" got invalid value "${SECRET}" at "input.grantType"; ${reason}`;
    expect(redactVariableValue(message, reason)).toBe('Variable "$input" got invalid value at "input.grantType"; Value does not exist in "GrantType" enum.');
  });

  it("keeps graphql's enum suggestion (the schema's value names), even when the value imitates the message", () => {
    const value = 'x" does not exist in "Fake" enum. Did you mean "' + SECRET;
    const reason = `Value ${JSON.stringify(value)} does not exist in "GrantType" enum. Did you mean the enum value "JWT_BEARER"?`;
    const message = `Variable "$input" got invalid value ${JSON.stringify(value)} at "input.grantType"; ${reason}`;
    expect(redactVariableValue(message, reason)).toBe('Variable "$input" got invalid value at "input.grantType"; Value does not exist in "GrantType" enum. Did you mean the enum value "JWT_BEARER"?');
  });

  it("drops the value graphql's scalar coercion quotes at the end of its reason", () => {
    const reason = `String cannot represent a non string value: { token: "${SECRET}" }`;
    const message = `Variable "$input" got invalid value { token: "${SECRET}" } at "input.assertion"; ${reason}`;
    expect(redactVariableValue(message, reason)).toBe('Variable "$input" got invalid value at "input.assertion"; String cannot represent a non string value.');
  });

  it("cuts a reason exactly where the regular expression it replaced did, for every arrangement of its parts", () => {
    // The replaced pattern, kept here as the oracle (quadratic on long input, fine on these).
    const replaced = (reason: string) => {
      const match = /^([\s\S]*?cannot represent[^:]*):[\s\S]*$/.exec(reason);
      return match === null ? reason : `${match[1]}.`;
    };
    const parts = ["cannot represent", ":", " a value", "\n", "cannot", "represent", ": 42", '"x"'];
    const arrangements = [""];
    for (let length = 0; length < 4; length++) {
      for (const prefix of arrangements.splice(0)) arrangements.push(prefix, ...parts.map((part) => prefix + part));
    }
    expect(arrangements.length).toBeGreaterThan(1000);
    for (const reason of arrangements) {
      const message = `Variable "$input" got invalid value at "input.scope"; ${reason}`;
      expect(redactVariableValue(message, reason), JSON.stringify(reason)).toBe(`Variable "$input" got invalid value at "input.scope"; ${replaced(reason)}`);
    }
  });

  it("keeps a reason that echoes a long unknown key whole (no value follows it); how fast: the (hostile) bench row", () => {
    const key = "cannot represent".repeat(3_875);
    const reason = `Field "${key}" is not defined by type "CreateTokenWithIAMInput".`;
    const message = `Variable "$input" got invalid value { ${key}: 1 }; ${reason}`;
    expect(redactVariableValue(message, reason)).toBe(`Variable "$input" got invalid value; ${reason}`);
  });

  it("falls back to a message without value or reason when the reason is unknown", () => {
    expect(redactVariableValue(`Variable "$input" got invalid value "${SECRET}"; something`, undefined)).toBe('Variable "$input" got invalid value.');
    expect(redactVariableValue(`Variable "$input" got invalid value "${SECRET}"; something`, "else")).toBe('Variable "$input" got invalid value.');
  });

  it("leaves other messages alone", () => {
    const message = 'Variable "$input" of required type "CreateTokenWithIAMInput!" was not provided.';
    expect(redactVariableValue(message, undefined)).toBe(message);
  });
});

describe("variableErrorField", () => {
  it("is the error's path, and beneath it the field a reason names; else the variable", () => {
    const at = (path: string, reason: string) => [`Variable "$input" got invalid value 5 at "${path}"; ${reason}`, reason] as const;
    expect(variableErrorField(...at("input.assertion", "String cannot represent a non string value: 5"))).toBe("input.assertion");
    const missing = 'Field "grantType" of required type "GrantType!" was not provided.';
    expect(variableErrorField(`Variable "$input" got invalid value { a: 1 }; ${missing}`, missing)).toBe("input.grantType");
    const unknown = 'Field "refreshTokn" is not defined by type "CreateTokenWithIAMInput". Did you mean "refreshToken"?';
    expect(variableErrorField(`Variable "$input" got invalid value { a: 1 }; ${unknown}`, unknown)).toBe("input.refreshTokn");
    expect(variableErrorField(...at("input.scope[2]", 'Field "x" is not defined by type "Scope".'))).toBe("input.scope[2].x");
    expect(variableErrorField('Variable "$input" of required type "CreateTokenWithIAMInput!" was not provided.', undefined)).toBe("input");
    expect(variableErrorField('Variable "$input" of non-null type "CreateTokenWithIAMInput!" must not be null.', undefined)).toBe("input");
    expect(variableErrorField('Variable "$input" got invalid value 5; Expected type "CreateTokenWithIAMInput" to be an object.', undefined)).toBe("input");
  });

  it("does not name a caller's unknown key longer than 64 characters, and is undefined for other messages", () => {
    const unknown = `Field "${"k".repeat(65)}" is not defined by type "CreateTokenWithIAMInput".`;
    expect(variableErrorField(`Variable "$input" got invalid value { a: 1 }; ${unknown}`, unknown)).toBe("input");
    expect(variableErrorField("Cannot query field \"x\" on type \"Query\".", undefined)).toBeUndefined();
  });
});

describe("redactLiteralValue (validation messages about a value written into the document)", () => {
  const validationMessages = (query: string): string[] => {
    const schema = buildSchema("enum GrantType { JWT_BEARER AUTHORIZATION_CODE } input In { grantType: GrantType!, assertion: String, scope: [String!] } type Query { f(input: In): Int }");
    return validate(schema, parse(query)).map((error) => error.message);
  };

  it("drops a literal of the wrong type from every message shape graphql-js quotes it in", () => {
    const cases: [string, string][] = [
      [`{ f(input: { grantType: "${SECRET}" }) }`, 'Enum "GrantType" cannot represent non-enum value.'],
      [`{ f(input: { grantType: JWT_BEARER, assertion: { token: "${SECRET}" } }) }`, "String cannot represent a non string value."],
      [`{ f(input: { grantType: JWT_BEARER, scope: [1, "x"] }) }`, "String cannot represent a non string value."],
      ["{ f(input: { grantType: aorAAAAAGVsecretLookingName }) }", 'Value does not exist in "GrantType" enum.'],
      ["{ f(input: { grantType: null }) }", 'Expected value of type "GrantType!".'],
    ];
    for (const [query, expected] of cases) {
      const [message] = validationMessages(query);
      expect(redactLiteralValue(message!), query).toBe(expected);
      expect(redactLiteralValue(message!)).not.toContain(SECRET);
    }
  });

  it("keeps the schema's suggestion after a wrong enum name, and leaves messages that quote no value alone", () => {
    expect(redactLiteralValue('Value "JWT_BEARE" does not exist in "GrantType" enum. Did you mean the enum value "JWT_BEARER"?'))
      .toBe('Value does not exist in "GrantType" enum. Did you mean the enum value "JWT_BEARER"?');
    for (const message of ['Cannot query field "nope" on type "Query".', 'Unknown argument "x" on field "Query.f".', 'Field "In.grantType" of required type "GrantType!" was not provided.']) {
      expect(redactLiteralValue(message)).toBe(message);
    }
  });

  it("cuts at the first quoted value whatever the value holds (a string imitating the message)", () => {
    const imitation = `Expected value of type "X", found "a\\", found b"; String cannot represent: ${SECRET}.`;
    expect(redactLiteralValue(imitation)).toBe('Expected value of type "X".');
  });
});

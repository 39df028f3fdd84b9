import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { redactSyntaxErrorValue } from "../../../src/server/redact-syntax-error.js";

const SECRET = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";

/** graphql-js' own message for a document that does not parse. */
function syntaxError(document: string): string {
  try {
    parse(document);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`parsed: ${document}`);
}

describe("redactSyntaxErrorValue", () => {
  it.each([
    [`{ f(assertion ${JSON.stringify(SECRET)}) }`, 'Syntax Error: Expected ":", found String.'],
    [`{ f(a: 1 ${JSON.stringify(SECRET)}) }`, "Syntax Error: Expected Name, found String."],
    [`{ f(a: 1 """${SECRET}""") }`, "Syntax Error: Expected Name, found BlockString."],
    [`"d" ${JSON.stringify(SECRET)} query { f }`, "Syntax Error: Unexpected String."],
    [`"d" """${SECRET}""" query { f }`, "Syntax Error: Unexpected BlockString."],
    [`fragment F ${JSON.stringify(SECRET)} { f }`, 'Syntax Error: Expected "on", found String.'],
  ])("drops the string's value from the parser's message for %s", (document, expected) => {
    const message = syntaxError(document);
    expect(message).toContain(SECRET);
    expect(redactSyntaxErrorValue(message)).toBe(expected);
  });

  it("drops a value that imitates the message's own words", () => {
    const value = `x" found String "y`;
    expect(redactSyntaxErrorValue(syntaxError(`{ f(a: 1 ${JSON.stringify(value)}) }`))).toBe("Syntax Error: Expected Name, found String.");
  });

  it("keeps messages that quote no string: names, numbers, punctuation, characters", () => {
    for (const document of ["{ f(a: 1 2) }", "{ f(a b) }", "{ f", "query { f } }", "{ f(a: 1.) }", "{ f(a: ~) }"]) {
      const message = syntaxError(document);
      expect(redactSyntaxErrorValue(message)).toBe(message);
    }
  });
});

import { describe, expect, it } from "vitest";
import { redactVariableValue, variableErrorField } from "../../../src/server/redact-variable-value.js";

/**
 * src/server/redact-variable-value.ts where a reason does not fit the shape it looks for: the message is answered
 * without the value, and no other part of the reason is cut. Its main cases: test/unit/server/redact-variable-value.test.ts.
 */
describe("redactVariableValue with reasons of other shapes", () => {
  it("answers the bare refusal when no reason is known, whatever the message ends with", () => {
    expect(redactVariableValue('Variable "$input" got invalid value "tok"; undefined', undefined)).toBe('Variable "$input" got invalid value.');
  });

  it("cuts nothing from a reason that names the enum marker without starting with the enum's 'Value '", () => {
    const reason = 'Field "k does not exist in "x" is not defined by type "CreateTokenWithIAMInput".';
    expect(redactVariableValue(`Variable "$input" got invalid value { a: 1 }; ${reason}`, reason)).toBe(`Variable "$input" got invalid value; ${reason}`);
  });

  it("keeps a reason starting with 'Value ' that has no enum marker", () => {
    const reason = "Value is not accepted.";
    expect(redactVariableValue(`Variable "$input" got invalid value 5 at "input.grantType"; ${reason}`, reason)).toBe(`Variable "$input" got invalid value at "input.grantType"; ${reason}`);
  });
});

describe("variableErrorField with a reason the message does not end with", () => {
  it("takes no path from the message: the variable (a reason of the same length must not cut the message there)", () => {
    expect(variableErrorField('Variable "$input" got invalid value 5 at "input.assertion"; abcde', "vwxyz")).toBe("input");
    expect(variableErrorField('Variable "$input" got invalid value 5 at "input.assertion"; undefined', undefined)).toBe("input");
  });
});

import { describe, expect, it } from "vitest";
import { SECRET_CONTAINERS, SECRET_KEYS } from "../../../src/logging/redaction.js";
import { GRAPHQL_SECRET_CONTAINERS, SECRET_FIELDS } from "../../support/secret-fields.js";

/**
 * The gateway's redaction list against the tests' own list (test/support/secret-fields.ts, written
 * from the schema and the AWS model). Some names would still be caught by the "secret"/"password"
 * substring rule if they left the list (clientSecret, gatewaySecret …): this is the test that
 * notices their removal. The converse keeps the tests' list complete: a key the code adds must be
 * added there too, so its removal is pinned as well.
 */
const codeKeys = new Set<string>(SECRET_KEYS.map((key) => key.toLowerCase()));

describe("the redaction list", () => {
  it.each(SECRET_FIELDS)("names %s", (field) => {
    expect(codeKeys.has(field.toLowerCase())).toBe(true);
  });

  it.each(GRAPHQL_SECRET_CONTAINERS)("censors every member of GraphQL %s", (container) => {
    expect(SECRET_CONTAINERS).toContain(container);
  });

  it("names nothing the tests' list does not know (add it to test/support/secret-fields.ts, with its source)", () => {
    const known = new Set(SECRET_FIELDS.map((field) => field.toLowerCase()));
    expect([...codeKeys].filter((key) => !known.has(key))).toEqual([]);
  });
});

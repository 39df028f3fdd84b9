import { parse, type ObjectValueNode, type OperationDefinitionNode, type FieldNode, type StringValueNode } from "graphql";
import { describe, expect, it } from "vitest";
import { validateCredentialsRequest } from "../../../src/credentials/index.js";
import { validateTokenRequest } from "../../../src/tokens/grant-validation.js";
import { collectedHeapUsed } from "../../support/collected-heap.js";

/**
 * A clientId or roleArn a caller writes into the query as a literal is, once parsed by graphql-js, a
 * slice of the document's text: kept, it keeps the whole document alive. The validated request carries
 * the configuration's own string instead, so an answer or credentials cached under it hold ~80 bytes,
 * not the caller's document (up to MAX_BODY_BYTES each).
 */

const APP = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const DOCUMENTS = 200;
const PADDING = 60_000;

/** The argument literal `name` of a document `{ f(input: { <name>: "<value>" }) } # <60 KB>`, as graphql-js hands it over: a slice of the text. */
function literalFromDocument(name: string, value: string, i: number): string {
  const document = parse(`{ f${i}(input: { ${name}: "${value}" }) } #${"p".repeat(PADDING)}`);
  const field = (document.definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
  return ((field.arguments![0]!.value as ObjectValueNode).fields[0]!.value as StringValueNode).value;
}

/** Heap still held, per document, by what `keep` returns once the documents are gone (the worker's own noise, ~0.2 MB, is ~1 KB a document). */
function heapHeldPerDocument(keep: (literal: string, i: number) => string, name: string, value: string): number {
  const kept: string[] = [];
  const before = collectedHeapUsed();
  for (let i = 0; i < DOCUMENTS; i++) kept.push(keep(literalFromDocument(name, value, i), i));
  const held = collectedHeapUsed() - before;
  expect(kept.every((kept) => kept === value)).toBe(true);
  return held / DOCUMENTS;
}

describe("configured strings, not the caller's", () => {
  it("the literal graphql-js hands over keeps its document alive (what the checks below guard against)", () => {
    expect(heapHeldPerDocument((literal) => literal, "clientId", APP)).toBeGreaterThan(PADDING / 2);
  });

  it("a validated token request's clientId holds none of the document it was written in", () => {
    const policy = { defaultClientId: APP, allowedClientIds: [APP] };
    const held = heapHeldPerDocument((literal) => validateTokenRequest({ grantType: "JWT_BEARER", assertion: "a.b.c", clientId: literal }, policy).clientId, "clientId", APP);
    expect(held).toBeLessThan(PADDING / 20);
  });

  it("a validated credentials request's roleArn holds none of the document it was written in", () => {
    const config = { allowedRoleArns: [ROLE], defaultRoleArn: ROLE, maxDurationSeconds: 3600, stsEndpoint: undefined };
    const held = heapHeldPerDocument((literal) => validateCredentialsRequest({ identityContext: "context", roleArn: literal }, config, "input.").roleArn, "roleArn", ROLE);
    expect(held).toBeLessThan(PADDING / 20);
  });
});

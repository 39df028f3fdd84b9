import { BREAK, Kind, parse, visit, type ArgumentNode, type ObjectFieldNode } from "graphql";
import { SECRET_KEYS } from "../logging/redaction.js";

const SECRET_NAMES = new Set<string>(SECRET_KEYS.map((key) => key.toLowerCase()));

/**
 * Whether a GraphQL document carries a secret written into it: a string literal given to an
 * argument or input field the redaction list names (assertion, code, codeVerifier, refreshToken,
 * subjectToken …). Legal GraphQL, answered like the same values in variables, but a document is
 * what persisted queries store (in Redis, for every replica and in clear): such a document is
 * executed and never stored. A document that does not parse carries nothing we could find, and
 * Apollo stores only documents it has parsed and validated.
 */
export function carriesSecretLiteral(document: string): boolean {
  let found = false;
  let ast;
  try {
    ast = parse(document, { noLocation: true });
  } catch {
    return false;
  }
  const check = (node: ArgumentNode | ObjectFieldNode) => {
    if (node.value.kind === Kind.STRING && SECRET_NAMES.has(node.name.value.toLowerCase())) {
      found = true;
      return BREAK;
    }
    return undefined;
  };
  visit(ast, { Argument: check, ObjectField: check });
  return found;
}

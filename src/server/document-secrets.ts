import { BREAK, Kind, parse, visit, type ArgumentNode, type DocumentNode, type ObjectFieldNode, type ValueNode } from "graphql";
import { isSecretFieldName } from "../logging/redaction.js";

function holdsString(value: ValueNode): boolean {
  if (value.kind === Kind.STRING) return true;
  if (value.kind === Kind.LIST) return value.values.some(holdsString);
  if (value.kind === Kind.OBJECT) return value.fields.some((field) => holdsString(field.value));
  return false;
}

/**
 * Whether a GraphQL document carries a secret written into it: a string literal given to an argument
 * or input field whose name the log redaction treats as secret (assertion, code, codeVerifier,
 * refreshToken, subjectToken …, any name holding "secret" or "password": no grant is named here),
 * directly or as the default value of a variable passed there. Legal GraphQL, answered like the same
 * values in variables, but a document is what persisted queries store (in Redis: for every replica,
 * in clear) and what Apollo's document store keeps, so such a document is neither. A document that does
 * not parse carries nothing we could find, and Apollo stores only documents it has parsed and validated.
 */
export function carriesSecretLiteral(document: string): boolean {
  let ast: DocumentNode;
  try {
    ast = parse(document, { noLocation: true });
  } catch {
    return false;
  }
  return documentCarriesSecretLiteral(ast);
}

/** The same, for a document already parsed (Apollo's document store is given the AST). */
export function documentCarriesSecretLiteral(ast: DocumentNode): boolean {
  let found = false;
  const secretVariables = new Set<string>();
  const check = (node: ArgumentNode | ObjectFieldNode) => {
    if (!isSecretFieldName(node.name.value)) return undefined;
    if (node.value.kind === Kind.VARIABLE) {
      secretVariables.add(node.value.name.value);
      return undefined;
    }
    if (!holdsString(node.value)) return undefined;
    found = true;
    return BREAK;
  };
  visit(ast, { Argument: check, ObjectField: check });
  if (found) return true;
  // `$grant: String = "…"` passed as `assertion: $grant`: the literal sits in the variable's default.
  return ast.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION
    && (definition.variableDefinitions ?? []).some((variable) => variable.defaultValue !== undefined
      && secretVariables.has(variable.variable.name.value) && holdsString(variable.defaultValue)));
}

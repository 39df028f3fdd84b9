import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Kind, buildSchema, getOperationAST, parse, validate, type DocumentNode, type GraphQLSchema, type ObjectFieldNode, type ValueNode } from "graphql";
import { getVariableValues } from "graphql/execution/values.js";

/**
 * The fuzzer's oracle: could this GraphQL request possibly reach Identity Center? Written from the
 * public contract (schema.graphql and the README's grant rules), not from the gateway's code, and
 * deliberately conservative: it answers "cannot" only for requests that break the contract in a
 * way the gateway must catch before any upstream call. Anything else "may call" — the fuzzer then
 * only bounds the calls (at most one per distinct grant field: identical exchanges are deduplicated).
 */

const SCHEMA_PATH = fileURLToPath(new URL("../../schema.graphql", import.meta.url));
let schema: GraphQLSchema | undefined;
const loadSchema = () => (schema ??= buildSchema(readFileSync(SCHEMA_PATH, "utf8")));

export const DEFAULT_CLIENT_ID = "arn:aws:sso::123456789012:application/ssoins-111111111111/apl-222222222222";

/** Per grant: the fields it needs (non-empty strings) and the fields it must not carry. */
const GRANT_RULES: Record<string, { required: string[]; forbidden: string[] }> = {
  JWT_BEARER: { required: ["assertion"], forbidden: ["code", "refreshToken", "subjectToken", "codeVerifier", "redirectUri", "subjectTokenType", "requestedTokenType"] },
  AUTHORIZATION_CODE: { required: ["code", "redirectUri"], forbidden: ["assertion", "refreshToken", "subjectToken", "subjectTokenType", "requestedTokenType"] },
  REFRESH_TOKEN: { required: ["refreshToken"], forbidden: ["assertion", "code", "subjectToken", "codeVerifier", "redirectUri", "subjectTokenType", "requestedTokenType"] },
  TOKEN_EXCHANGE: { required: ["subjectToken", "subjectTokenType"], forbidden: ["assertion", "code", "refreshToken", "codeVerifier", "redirectUri"] },
};

export interface OracleVerdict {
  /** True when the contract says the gateway must refuse this before calling upstream. */
  mustNotCallUpstream: boolean;
  /** The most upstream calls the request may cause (distinct grant inputs that pass the contract). */
  maxUpstreamCalls: number;
}

const NO_CALL: OracleVerdict = { mustNotCallUpstream: true, maxUpstreamCalls: 0 };

export function judgeGraphQLRequest(request: { query?: unknown; variables?: unknown; operationName?: unknown }): OracleVerdict {
  if (typeof request.query !== "string") return NO_CALL;
  if (request.operationName !== undefined && request.operationName !== null && typeof request.operationName !== "string") return NO_CALL;
  if (request.variables !== undefined && request.variables !== null && (typeof request.variables !== "object" || Array.isArray(request.variables))) return NO_CALL;
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: 100_000 });
  } catch {
    return NO_CALL;
  }
  const graphqlSchema = loadSchema();
  try {
    if (validate(graphqlSchema, document).length > 0) return NO_CALL;
  } catch {
    return NO_CALL;
  }
  const operation = getOperationAST(document, (request.operationName as string | null | undefined) ?? undefined);
  if (!operation || operation.operation !== "mutation") return NO_CALL;
  // Whether coercion fails is all the oracle needs: one error says so (a 5,000-key input would otherwise cost seconds).
  const coerced = getVariableValues(graphqlSchema, operation.variableDefinitions ?? [], (request.variables ?? {}) as Record<string, unknown>, { maxErrors: 1 });
  if (coerced.errors) return NO_CALL;

  const passing = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) {
      // Fragments at the root: too much to follow here; allow them (safe side).
      passing.add(`fragment:${passing.size}`);
      continue;
    }
    const inputNode = selection.arguments?.find((argument) => argument.name.value === "input")?.value;
    const input = inputNode ? valueOf(inputNode, coerced.coerced) : undefined;
    if (!isRecord(input)) continue;
    const acceptable = selection.name.value === "refreshToken" ? refreshInputMayPass(input) : grantInputMayPass(input);
    if (acceptable) passing.add(JSON.stringify([selection.name.value, input]));
  }
  return passing.size === 0 ? NO_CALL : { mustNotCallUpstream: false, maxUpstreamCalls: passing.size };
}

function grantInputMayPass(input: Record<string, unknown>): boolean {
  if (!clientIdMayPass(input.clientId)) return false;
  const rules = GRANT_RULES[String(input.grantType)];
  if (!rules) return false;
  if (rules.required.some((name) => typeof input[name] !== "string" || input[name] === "")) return false;
  return !rules.forbidden.some((name) => input[name] !== undefined && input[name] !== null);
}

function refreshInputMayPass(input: Record<string, unknown>): boolean {
  return clientIdMayPass(input.clientId) && typeof input.refreshToken === "string" && input.refreshToken !== "";
}

const clientIdMayPass = (clientId: unknown) => clientId === undefined || clientId === null || clientId === DEFAULT_CLIENT_ID;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A literal or variable reference → its JSON value (the document already validated). */
function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.NULL:
      return null;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.LIST:
      return node.values.map((value) => valueOf(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field: ObjectFieldNode) => [field.name.value, valueOf(field.value, variables)]));
  }
}

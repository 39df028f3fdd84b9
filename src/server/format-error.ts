import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { type GatewayError, isGatewayError } from "../errors/error-codes.js";
import { redactSyntaxErrorValue } from "./redact-syntax-error.js";
import { redactLiteralValue, redactVariableValue, variableErrorField } from "./redact-variable-value.js";

/**
 * The one error normalizer: every error the gateway answers with passes through here.
 *
 * - A GatewayError (thrown by tokens/ or upstream/) keeps its message and gets `extensions.code`,
 *   `retryable` and whichever details it carries (field, awsErrorDescription, awsException,
 *   awsRequestId, retryAfterSeconds). Its message never holds a secret (the contract of GatewayError).
 * - Request errors Apollo raises before execution (parse, validation, variable coercion, bad
 *   HTTP request) keep Apollo's code and message: they describe the client's document, not us
 *   (`retryable: false` added: the same request fails the same way).
 *   Variable coercion messages lose the variable's value, though (see redact-variable-value.ts), and
 *   parse errors the value of a string token they quote (redact-syntax-error.ts).
 * - Anything else (a plain Error thrown anywhere, a non-null violation, a failed context) is our own
 *   fault: masked as INTERNAL_SERVER_ERROR with a fixed message; its text and stack stay in the
 *   server log (see plugins/request-logging.plugin.ts), since they may hold internals.
 * - No error carries a stack trace, in development either (design.md: stack traces and internals never
 *   travel in `extensions`; NODE_ENV defaults to development, so a gateway exposed without
 *   NODE_ENV=production sent its file paths to any caller). The server log keeps the stacks of masked errors.
 *
 * HTTP status: GraphQL execution errors keep Apollo's default 200, even though ERROR_CODES has an
 * httpStatus per code. A 200 lets partial data (other root fields of the same operation) reach the
 * client; clients read `errors[].extensions.code`. Apollo itself answers 400 for parse/validation
 * failures and for variable coercion errors.
 */

export const MASKED_ERROR_MESSAGE = "Internal server error";

/** Codes Apollo gives errors of the request itself; they are safe to show and tell the client what to fix. */
export const APOLLO_REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "INTROSPECTION_DISABLED",
  "MAX_RECURSIVE_SELECTIONS_EXCEEDED",
]);

export type FormatError = (formattedError: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export function createFormatError(): FormatError {
  return (formattedError, error) => {
    const original = unwrapResolverError(error);
    if (isGatewayError(original)) return formatGatewayError(formattedError, original);
    if (isApolloRequestError(formattedError)) return withoutStacktrace(notRetryable(clipped(withoutSyntaxErrorValues(withoutLiteralValues(withoutVariableValues(namingIntrospectionSetting(formattedError), error))))));
    if (isUncodedApolloHttpError(formattedError, original)) return badRequest(formattedError);
    return maskedError(formattedError);
  };
}

/**
 * The longest message a request error keeps. graphql-js echoes names and values from the document
 * in its messages (an operation name, an unknown field, an unexpected string), and a caller can
 * make those 60 KB long: 10 errors naming a 62 KB operation name made a 620 KB answer (100 errors,
 * before validation errors were capped: 6.2 MB and 85 ms of CPU). Real messages are under 300 characters.
 */
export const MAX_ERROR_MESSAGE_CHARS = 1000;

function clipped(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  const { message } = formattedError;
  if (message.length <= MAX_ERROR_MESSAGE_CHARS) return formattedError;
  return { ...formattedError, message: `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (cut: ${message.length} characters)` };
}

/** Apollo's refusal of introspection tells the caller to "pass introspection: true to ApolloServer"; ours names the setting. */
const APOLLO_INTROSPECTION_REFUSAL = "GraphQL introspection is not allowed by Apollo Server";
export const INTROSPECTION_DISABLED_MESSAGE =
  "GraphQL introspection is not allowed by this gateway: INTROSPECTION is false (its default when NODE_ENV=production). Set INTROSPECTION=true to allow it.";

function namingIntrospectionSetting(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  return formattedError.message.startsWith(APOLLO_INTROSPECTION_REFUSAL) ? { ...formattedError, message: INTROSPECTION_DISABLED_MESSAGE } : formattedError;
}

/**
 * An error of the request itself, before formatting: an Apollo request error, or one of Apollo's
 * uncoded 4xx errors (answered BAD_REQUEST below). The client's mistake, never the gateway's fault.
 */
export function isRequestError(error: GraphQLError): boolean {
  return isApolloRequestError(error) || isUncodedApolloHttpError(error, error);
}

/** An Apollo request error: a known code and no `path` (errors raised while resolving a field have one). */
export function isApolloRequestError(error: Pick<GraphQLFormattedError, "extensions" | "path">): boolean {
  const code = error.extensions?.code;
  return typeof code === "string" && APOLLO_REQUEST_ERROR_CODES.has(code) && error.path === undefined;
}

function formatGatewayError(formattedError: GraphQLFormattedError, error: GatewayError): GraphQLFormattedError {
  const { field, awsErrorDescription, awsException, awsRequestId, retryAfterSeconds } = error.details;
  const extensions: Record<string, unknown> = { code: error.code, retryable: error.retryable };
  if (field !== undefined) extensions.field = field;
  if (awsErrorDescription !== undefined) extensions.awsErrorDescription = awsErrorDescription;
  if (awsException !== undefined) extensions.awsException = awsException;
  if (awsRequestId !== undefined) extensions.awsRequestId = awsRequestId;
  if (retryAfterSeconds !== undefined) extensions.retryAfterSeconds = retryAfterSeconds;
  return { message: error.message, ...locationAndPath(formattedError), extensions };
}

/**
 * Variable coercion errors (BAD_USER_INPUT) quote the variable's value, which may be a secret: drop it. They
 * name their field only in the message: `extensions.field` names it, as the gateway's own input errors do.
 */
function withoutVariableValues(formattedError: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (formattedError.extensions?.code !== "BAD_USER_INPUT") return formattedError;
  const reason = (error as { originalError?: { message?: unknown } } | null)?.originalError?.message;
  const knownReason = typeof reason === "string" ? reason : undefined;
  const message = redactVariableValue(formattedError.message, knownReason);
  const field = formattedError.extensions.field === undefined ? variableErrorField(formattedError.message, knownReason) : undefined;
  if (message === formattedError.message && field === undefined) return formattedError;
  return { ...formattedError, message, ...(field === undefined ? {} : { extensions: { ...formattedError.extensions, field } }) };
}

/** Validation errors about a value written into the document quote it, and it may be a secret: drop it (redactLiteralValue). */
function withoutLiteralValues(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  if (formattedError.extensions?.code !== "GRAPHQL_VALIDATION_FAILED") return formattedError;
  const message = redactLiteralValue(formattedError.message);
  return message === formattedError.message ? formattedError : { ...formattedError, message };
}

/** Parse errors name the unexpected token with its value, and a string there may be a grant: drop it (redactSyntaxErrorValue). */
function withoutSyntaxErrorValues(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  if (formattedError.extensions?.code !== "GRAPHQL_PARSE_FAILED") return formattedError;
  const message = redactSyntaxErrorValue(formattedError.message);
  return message === formattedError.message ? formattedError : { ...formattedError, message };
}

/** The request's own fault: the same request again meets it again. Every error the gateway answers says so (`retryable`). */
function notRetryable(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  if (formattedError.extensions?.retryable !== undefined) return formattedError;
  return { ...formattedError, extensions: { ...formattedError.extensions, retryable: false } };
}

function withoutStacktrace(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  if (formattedError.extensions?.stacktrace === undefined) return formattedError;
  const { stacktrace: _hidden, ...extensions } = formattedError.extensions;
  return { ...formattedError, extensions };
}

/**
 * Apollo answers a few malformed requests (a persisted-query hash that does not match its document,
 * an unsupported persisted-query version) with a 4xx GraphQLError that carries no code. Its message
 * is Apollo's own and describes the request, so it is shown as BAD_REQUEST rather than masked.
 */
function isUncodedApolloHttpError(formattedError: GraphQLFormattedError, original: unknown): boolean {
  if (formattedError.path !== undefined || formattedError.extensions?.code !== undefined && formattedError.extensions.code !== "INTERNAL_SERVER_ERROR") return false;
  return isApolloHttpClientError(original);
}

/** A GraphQLError Apollo raised with a 4xx HTTP status (and no code): the request's fault, answered BAD_REQUEST, never logged as ours. */
export function isApolloHttpClientError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.path !== undefined || error.extensions?.code !== undefined) return false;
  const http = error.extensions?.http as { status?: unknown } | undefined;
  return typeof http?.status === "number" && http.status >= 400 && http.status < 500;
}

function badRequest(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  return { message: formattedError.message, ...locationAndPath(formattedError), extensions: { code: "BAD_REQUEST", retryable: false } };
}

function maskedError(formattedError: GraphQLFormattedError): GraphQLFormattedError {
  return {
    message: MASKED_ERROR_MESSAGE,
    ...locationAndPath(formattedError),
    extensions: { code: "INTERNAL_SERVER_ERROR", retryable: false },
  };
}

function locationAndPath(formattedError: GraphQLFormattedError): Pick<GraphQLFormattedError, "locations" | "path"> {
  return {
    ...(formattedError.locations === undefined ? {} : { locations: formattedError.locations }),
    ...(formattedError.path === undefined ? {} : { path: formattedError.path }),
  };
}

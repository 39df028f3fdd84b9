/**
 * graphql-js echoes the offending variable value in coercion errors (and a document's literal value in validation
 * errors: redactLiteralValue):
 *   Variable "$input" got invalid value { assertion: "eyJ…" }; Field "grantType" of required type "GrantType!" was not provided.
 * The value of `$input` is where assertions, codes and refresh tokens travel, so the gateway
 * rewrites these messages without it, keeping the path and the reason:
 *   Variable "$input" got invalid value; Field "grantType" of required type "GrantType!" was not provided.
 *   Variable "$input" got invalid value at "input.assertion"; String cannot represent a non string value.
 *   Variable "$input" got invalid value at "input.grantType"; Value does not exist in "GrantType" enum.
 */

const INVALID_VALUE_PREFIX = /^Variable "(\$[^"]+)" got invalid value /;
const TRAILING_PATH = / at "([^"]+)"$/;
/** graphql's scalar coercion messages end with the value: "String cannot represent a non string value: 42". */
const SCALAR_VALUE_ECHO = "cannot represent";
/** graphql's enum coercion message starts with the value: 'Value "eyJ…" does not exist in "GrantType" enum.' */
const ENUM_VALUE_ECHO_START = "Value ";
const ENUM_VALUE_ECHO_END = ' does not exist in "';
/** Validation's messages for a literal of the wrong type: 'Expected value of type "T", found <value>.' */
const EXPECTED_VALUE_PREFIX = 'Expected value of type "';
const EXPECTED_VALUE_FOUND = '", found ';
/** ... and a scalar's or an enum's own ('String cannot represent …: <value>', 'Enum "G" cannot represent non-enum value: <value>'). */
const SCALAR_LITERAL_MESSAGE = /^[_A-Za-z][_0-9A-Za-z]{0,63} cannot represent /;
const ENUM_LITERAL_PREFIX = 'Enum "';

/**
 * @param message the coercion error's message (prefix + "; " + reason)
 * @param reason the inner error's message, when known (Apollo keeps it as `originalError`)
 */
export function redactVariableValue(message: string, reason: string | undefined): string {
  const prefix = INVALID_VALUE_PREFIX.exec(message);
  if (prefix === null) return message;
  const variable = prefix[1];
  if (reason === undefined || !message.endsWith(`; ${reason}`)) return `Variable "${variable}" got invalid value.`;
  const head = message.slice(0, message.length - reason.length - 2);
  const path = TRAILING_PATH.exec(head)?.[1];
  return `Variable "${variable}" got invalid value${path === undefined ? "" : ` at "${path}"`}; ${withoutValue(reason)}`;
}

/** graphql-js' reasons that name one input field beneath the path: a required one missing, an unknown one given. */
const NAMED_FIELD_REASON = /^Field "([^"]{1,64})" (?:of required type "[^"]*" was not provided|is not defined by type)/;
/** A required variable omitted ("of required type … was not provided") or given null ("of non-null type … must not be null"). */
const MISSING_VARIABLE = /^Variable "\$([^"]{1,64})" of (?:required|non-null) type /;

/**
 * The input field a variable coercion error is about, for `extensions.field` (as the gateway's own input
 * errors name theirs): the error's path (`input.assertion`), and beneath it the field a reason names
 * (`input.grantType` missing, `input.refreshTokn` unknown); else the variable (`input`). Undefined for
 * other messages. Names are the schema's, or a caller's unknown key of at most 64 characters.
 *
 * @param message the coercion error's message, as graphql-js wrote it
 * @param reason the inner error's message, when known
 */
export function variableErrorField(message: string, reason: string | undefined): string | undefined {
  const missing = MISSING_VARIABLE.exec(message);
  if (missing !== null) return missing[1];
  const prefix = INVALID_VALUE_PREFIX.exec(message);
  if (prefix === null) return undefined;
  const variable = prefix[1]!.slice(1);
  const path = reason !== undefined && message.endsWith(`; ${reason}`)
    ? TRAILING_PATH.exec(message.slice(0, message.length - reason.length - 2))?.[1]
    : undefined;
  const base = path ?? variable;
  // Stryker disable next-line ConditionalExpression: equivalent: exec(undefined) reads "undefined", which the pattern does not match: null either way
  const named = reason === undefined ? null : NAMED_FIELD_REASON.exec(reason);
  return named === null ? base : `${base}.${named[1]}`;
}

/**
 * graphql-js' validation messages for a value written into the document quote it too:
 *   Enum "GrantType" cannot represent non-enum value: "eyJ…".   String cannot represent a non string value: {a: "eyJ…"}
 *   Value "aorAAAA…" does not exist in "GrantType" enum.          Expected value of type "GrantType!", found "eyJ…"; …
 * A token pasted into the wrong place of a document would come back in the answer: the same messages without it.
 * Other validation messages (names of fields, arguments, operations, fragments) pass unchanged.
 */
export function redactLiteralValue(message: string): string {
  if (message.startsWith(EXPECTED_VALUE_PREFIX)) {
    const found = message.indexOf(EXPECTED_VALUE_FOUND, EXPECTED_VALUE_PREFIX.length);
    return found < 0 ? message : `${message.slice(0, found + 1)}.`;
  }
  if (SCALAR_LITERAL_MESSAGE.test(message) || message.startsWith(ENUM_LITERAL_PREFIX)) return withoutScalarValue(message);
  return withoutEnumValue(message);
}

/** The reason without the caller's value graphql quoted in it (an enum's, a scalar's). */
function withoutValue(reason: string): string {
  return withoutScalarValue(withoutEnumValue(reason));
}

/**
 * 'Value "x" does not exist in "GrantType" enum.' without the value; graphql's "Did you mean" that may
 * follow names the schema's own values. The last marker: the enum's name cannot hold one, the value can.
 */
function withoutEnumValue(reason: string): string {
  if (!reason.startsWith(ENUM_VALUE_ECHO_START)) return reason;
  const end = reason.lastIndexOf(ENUM_VALUE_ECHO_END);
  // Stryker disable next-line EqualityOperator: equivalent: the marker cannot be at 0 in a reason that starts with "Value "
  return end < 0 ? reason : `Value${reason.slice(end)}`;
}

/**
 * The reason up to the first ":" after its first "cannot represent", where the value begins. Two
 * index searches, not a regular expression: the lazy pattern this replaces (`[\s\S]*?cannot
 * represent[^:]*:`) backtracked quadratically on a reason that echoes a caller's input (an unknown
 * input key made of "cannot represent" 3,875 times cost 130 ms of CPU to answer).
 */
function withoutScalarValue(reason: string): string {
  const echo = reason.indexOf(SCALAR_VALUE_ECHO);
  if (echo < 0) return reason;
  const colon = reason.indexOf(":", echo + SCALAR_VALUE_ECHO.length);
  // Stryker disable next-line EqualityOperator: equivalent: the colon is searched for after "cannot represent", never at 0
  return colon < 0 ? reason : `${reason.slice(0, colon)}.`;
}

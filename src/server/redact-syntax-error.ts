/**
 * graphql-js' parser names the token it did not expect, with its value (getTokenDesc):
 *   Syntax Error: Expected ":", found String "eyJ…".      Syntax Error: Unexpected BlockString "aor…".
 * A grant written into a document as a string literal, one character off (a missing colon, a stray
 * brace), would come back in the answer: the same message without the string's value, keeping the
 * token's kind and the error's location. Names and numbers (identifiers of the document) are kept.
 */

/** The token descriptions that quote a string's value; the value runs from their quote to the message's end (`".`). */
const STRING_TOKENS = ['String "', 'BlockString "'] as const;
const SITES = ["found ", "Unexpected "] as const;

export function redactSyntaxErrorValue(message: string): string {
  let cut = -1;
  for (const site of SITES) {
    for (const token of STRING_TOKENS) {
      const at = message.indexOf(`${site}${token}`);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at + site.length + token.length - 2;
    }
  }
  return cut < 0 ? message : `${message.slice(0, cut)}.`;
}

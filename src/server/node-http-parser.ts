import type { Socket } from "node:net";

/** What the gateway reads of Node's HTTPParser (internals: checked at run time by parserCallback). */
export type ParserInternals = { [key: number]: unknown; socket?: Socket | null };

type ParserSlot = "kOnHeadersComplete" | "kOnExecute";

/**
 * The socket's HTTP parser and one of its callbacks (`slot`: the index Node's HTTPParser class names), for the
 * framing bounds to wrap; undefined when this Node's parser does not have them (its internals differ).
 */
export function parserCallback(socket: Socket, slot: ParserSlot): { parser: ParserInternals; key: number; original: (...args: unknown[]) => unknown } | undefined {
  const parser = (socket as Socket & { parser?: ParserInternals | null }).parser;
  const key = (parser?.constructor as Partial<Record<ParserSlot, unknown>> | undefined)?.[slot];
  // Stryker disable next-line LogicalOperator: equivalent: a null parser has no key (`parser?.`), and a parser without the slot reads parser[undefined], no function: undefined either way
  if (parser == null || typeof key !== "number") return undefined;
  const original = parser[key];
  if (typeof original !== "function") return undefined;
  return { parser, key, original: original as (...args: unknown[]) => unknown };
}

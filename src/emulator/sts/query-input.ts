/**
 * Reads an AWS Query request body (`Action=…&Version=…&Member=…`, form-encoded): plain members and
 * the `Name.member.N.Field` lists, numbered from 1 as the SDKs write them.
 */
export type QueryInput = URLSearchParams;

export function parseQueryBody(body: Buffer): QueryInput {
  return new URLSearchParams(body.toString("utf8"));
}

/**
 * The structures of list `name`: `name.member.1.*`, `name.member.2.*`, … up to the first gap.
 * An empty list is sent as `name=` and reads as []; an absent one as undefined.
 */
export function readStructureList(input: QueryInput, name: string, fields: readonly string[]): Record<string, string | undefined>[] | undefined {
  const prefix = `${name}.member.`;
  const hasMembers = [...input.keys()].some((key) => key.startsWith(prefix));
  if (!hasMembers) return input.has(name) ? [] : undefined;
  const list: Record<string, string | undefined>[] = [];
  for (let n = 1; ; n++) {
    const entry = Object.fromEntries(fields.map((field) => [field, input.get(`${prefix}${n}.${field}`) ?? undefined]));
    if (Object.values(entry).every((value) => value === undefined)) return list;
    list.push(entry);
  }
}

/** The strings of list `name`: `name.member.1`, `name.member.2`, … up to the first gap. */
export function readStringList(input: QueryInput, name: string): string[] | undefined {
  const prefix = `${name}.member.`;
  const hasMembers = [...input.keys()].some((key) => key.startsWith(prefix));
  if (!hasMembers) return input.has(name) ? [] : undefined;
  const list: string[] = [];
  for (let n = 1; ; n++) {
    const value = input.get(`${prefix}${n}`);
    if (value === null) return list;
    list.push(value);
  }
}

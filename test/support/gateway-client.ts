/**
 * A tiny GraphQL-over-HTTP client for black-box tests: one POST, the raw status and parsed body.
 * Apollo Server's CSRF prevention only accepts POSTs with `content-type: application/json`.
 */

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLBody<TData = Record<string, any>> {
  data?: TData | null;
  errors?: GraphQLErrorShape[];
}

export interface GraphQLResult<TData = Record<string, any>> {
  status: number;
  body: GraphQLBody<TData>;
  /** The raw response text, for scanning (secrets, stack traces). */
  text: string;
}

export async function graphql<TData = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { headers?: Record<string, string> } = {},
): Promise<GraphQLResult<TData>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...options.headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLBody<TData>;
  try {
    body = JSON.parse(text) as GraphQLBody<TData>;
  } catch {
    throw new Error(`gateway answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 500)}`);
  }
  return { status: response.status, body, text };
}

/** The single error of a result; fails loudly (with the whole body) when there is not exactly one. */
export function onlyError(result: GraphQLResult): GraphQLErrorShape {
  const errors = result.body.errors ?? [];
  if (errors.length !== 1) throw new Error(`expected exactly one GraphQL error, got ${errors.length}: ${result.text}`);
  return errors[0]!;
}

/** The data of a result that must have succeeded; fails loudly with the errors otherwise. */
export function dataOf<TData = Record<string, any>>(result: GraphQLResult<TData>): TData {
  if (result.body.errors?.length || !result.body.data) {
    throw new Error(`expected a successful GraphQL result (HTTP ${result.status}), got: ${result.text}`);
  }
  return result.body.data;
}

/**
 * One GraphQL-over-HTTP POST to the gateway with a typed operation from generated/graphql.ts.
 * No GraphQL library at run time: the generated documents are strings. Errors come back as a
 * `GatewayRequestError` carrying the gateway's `extensions.code`, so callers branch on codes,
 * never on message text.
 */
import type { TypedDocumentString } from "./generated/graphql.js";

export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{
  status: number;
  text(): Promise<string>;
}>;

export interface GatewayRequestOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  endpoint: string;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Extra headers for every request (never put tokens in URLs). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** `code` is the GraphQL error's `extensions.code`, or `NETWORK_ERROR` / `BAD_RESPONSE` for transport failures. */
export class GatewayRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number | undefined,
    readonly extensions: Readonly<Record<string, unknown>> = {},
    /**
     * What the gateway answered alongside the error (GraphQL partial data), e.g. the tokens of an
     * exchange whose `awsCredentials` failed: they were issued, so keep them. Undefined when none.
     */
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "GatewayRequestError";
  }
}

interface GraphQLResponseBody<TResult> {
  data?: TResult | null;
  errors?: { message?: unknown; extensions?: Record<string, unknown> }[];
}

export async function executeOperation<TResult, TVariables>(
  options: GatewayRequestOptions,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const fetchImpl: FetchLike = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    response = await fetchImpl(options.endpoint, {
      method: "POST",
      // Apollo's CSRF prevention accepts JSON POSTs; `accept` asks for a JSON error body too.
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...options.headers },
      body: JSON.stringify({ query: document.toString(), variables }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw new GatewayRequestError("NETWORK_ERROR", `could not reach the gateway: ${error instanceof Error ? error.message : String(error)}`, undefined);
  }
  const text = await response.text();
  let body: GraphQLResponseBody<TResult>;
  try {
    body = JSON.parse(text) as GraphQLResponseBody<TResult>;
  } catch {
    throw new GatewayRequestError("BAD_RESPONSE", `the gateway answered HTTP ${response.status} with a body that is not JSON`, response.status);
  }
  const [first] = body.errors ?? [];
  if (first) {
    const extensions = first.extensions ?? {};
    const code = typeof extensions.code === "string" ? extensions.code : "INTERNAL_SERVER_ERROR";
    throw new GatewayRequestError(code, typeof first.message === "string" ? first.message : code, response.status, extensions, body.data ?? undefined);
  }
  if (body.data === undefined || body.data === null) {
    throw new GatewayRequestError("BAD_RESPONSE", `the gateway answered HTTP ${response.status} without data or errors`, response.status);
  }
  return body.data;
}

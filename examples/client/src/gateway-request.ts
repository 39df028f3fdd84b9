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

/**
 * `code` is the GraphQL error's `extensions.code`, or for transport failures `NETWORK_ERROR` (no
 * answer, a timeout, or a proxy's non-JSON 429/502/503/504: retried) / `BAD_RESPONSE` (an answer that
 * is not a GraphQL response: not retried).
 */
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

/** HTTP statuses a proxy answers for a backend that is briefly unavailable or throttled. */
const TRANSIENT_PROXY_STATUSES = new Set([429, 502, 503, 504]);

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
    // A proxy or load balancer in front of the gateway (restarting, overloaded, throttling) answers
    // these with its own page: transient, so retried as a failure to reach the gateway.
    if (TRANSIENT_PROXY_STATUSES.has(response.status)) {
      throw new GatewayRequestError("NETWORK_ERROR", `could not reach the gateway: HTTP ${response.status} with a body that is not JSON (from a proxy in front of it?)`, response.status);
    }
    throw new GatewayRequestError("BAD_RESPONSE", `the gateway answered HTTP ${response.status} with a body that is not JSON`, response.status);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body) || (body.errors !== undefined && !Array.isArray(body.errors))) {
    throw new GatewayRequestError("BAD_RESPONSE", `the gateway answered HTTP ${response.status} with JSON that is not a GraphQL response`, response.status);
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

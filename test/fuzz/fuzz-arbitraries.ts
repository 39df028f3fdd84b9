import { createHash } from "node:crypto";
import fc from "fast-check";
import { DEFAULT_CLIENT_ID } from "./fuzz-oracle.js";

/**
 * What the fuzzer throws at the gateway. Four families: GraphQL documents (random text, mutated
 * valid operations, alias bombs, deep nesting, directive floods), variables (random JSON for
 * CreateTokenWithIAMInput / RefreshTokenInput), raw HTTP (methods, paths, headers, content
 * types, bodies), and hostile requests (issue 11: long lists and oversized strings in variables,
 * mismatched and missing operation names over POST and GET, floods of padded persisted queries).
 * None of them ever holds a real grant: at most garbage that AWS would reject.
 */

export interface GraphQLCase {
  kind: "document" | "variables";
  label: string;
  body: { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown };
}

export interface HttpCase {
  kind: "http";
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export type FuzzCase = GraphQLCase | HttpCase;

const GRANTS = ["JWT_BEARER", "AUTHORIZATION_CODE", "REFRESH_TOKEN", "TOKEN_EXCHANGE"] as const;
const FIELDS = ["clientId", "grantType", "code", "refreshToken", "assertion", "scope", "redirectUri", "subjectToken", "subjectTokenType", "requestedTokenType", "codeVerifier"];
const URIS = ["urn:ietf:params:oauth:token-type:access_token", "urn:ietf:params:oauth:token-type:refresh_token", "urn:amazon:webservices:token", "https://app.example/cb", "not a uri"];

const garbageSecret = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^ao[ar]-[A-Za-z0-9_-]{8,60}$/),
  fc.tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 80 }), fc.base64String({ maxLength: 40 })).map((parts) => parts.join(".")),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", " ", "\u0000", "null", "undefined", "{}", "a".repeat(9000)),
);

const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: garbageSecret },
  { weight: 1, arbitrary: fc.constantFrom(...URIS, ...GRANTS, DEFAULT_CLIENT_ID) },
  { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 12 }), { maxLength: 60 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** A CreateTokenWithIAMInput-ish object: real field names with random values, sometimes extra keys. */
const grantInput = fc.record(
  {
    grantType: fc.oneof(fc.constantFrom(...GRANTS), fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
    ...Object.fromEntries(FIELDS.filter((name) => name !== "grantType").map((name) => [name, fieldValue])),
    extra: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  },
  { requiredKeys: [] },
).map(({ extra, ...fields }) => ({ ...fields, ...(extra as object) }));

const CREATE_DOC = "mutation Create($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken expiresAt isAwsToken } }";
const REFRESH_DOC = "mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken refreshToken } }";

export const variablesCase: fc.Arbitrary<GraphQLCase> = fc.oneof(
  grantInput.map((input) => ({ kind: "variables" as const, label: "grant input", body: { query: CREATE_DOC, variables: { input } } })),
  fc.record({ refreshToken: fieldValue, clientId: fieldValue, scope: fieldValue }, { requiredKeys: [] })
    .map((input) => ({ kind: "variables" as const, label: "refresh input", body: { query: REFRESH_DOC, variables: { input } } })),
  fc.jsonValue({ maxDepth: 4 }).map((variables) => ({ kind: "variables" as const, label: "random variables", body: { query: CREATE_DOC, variables } })),
  fc.jsonValue({ maxDepth: 3 }).map((input) => ({ kind: "variables" as const, label: "random input", body: { query: CREATE_DOC, variables: { input } } })),
  fc.integer({ min: 100, max: 3_000 }).map((depth) => ({
    kind: "variables" as const, label: "deeply nested input", body: { query: CREATE_DOC, variables: { input: nestedObject(depth) } },
  })),
  fc.tuple(grantInput, fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(["Create"])))
    .map(([input, operationName]) => ({ kind: "variables" as const, label: "odd operationName", body: { query: CREATE_DOC, variables: { input }, operationName } })),
);

function nestedObject(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { grantType: value };
  return value;
}

/** A valid-looking grant as a GraphQL literal (garbage inside, never a real grant). */
const grantLiteral = fc.tuple(fc.constantFrom(...GRANTS), fc.string({ maxLength: 30 })).map(([grant, secret]) => {
  const field = { JWT_BEARER: "assertion", AUTHORIZATION_CODE: "code", REFRESH_TOKEN: "refreshToken", TOKEN_EXCHANGE: "subjectToken" }[grant];
  const extra = grant === "AUTHORIZATION_CODE" ? ', redirectUri: "https://app.example/cb"' : grant === "TOKEN_EXCHANGE" ? ', subjectTokenType: "urn:ietf:params:oauth:token-type:access_token"' : "";
  return `{ grantType: ${grant}, ${field}: ${JSON.stringify(secret)}${extra} }`;
});

const TEMPLATES = [
  CREATE_DOC,
  REFRESH_DOC,
  "query { gateway { version upstreamMode region supportedGrantTypes defaultClientId allowedClientIds } }",
  'mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "x.y.z" }) { accessToken idTokenClaims { subject } } }',
  "mutation A($i: CreateTokenWithIAMInput!) { a: createTokenWithIAM(input: $i) { accessToken } b: createTokenWithIAM(input: $i) { ...F } } fragment F on CreateTokenWithIAMResponse { tokenType }",
  "query Q { __schema { types { name fields { name } } } }",
  "subscription S { tokens { accessToken } }",
];

const NOISE = ["{", "}", "(", ")", "[", "]", "$", "@", "...", ":", "!", "=", "|", "&", '"', '"""', "#", "\\", "\u0000", "\uFFFF", "🙂", "query", "mutation", "fragment", "on", "__typename", "@skip(if: true)", "@include(if: $x)", " ", "\n", "1e999", "-0"];

const mutatedTemplate = fc
  .tuple(fc.constantFrom(...TEMPLATES), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 12 }), fc.oneof(fc.constantFrom(...NOISE), fc.string({ maxLength: 6 }))), { minLength: 1, maxLength: 6 }))
  .map(([template, edits]) => {
    let text = template;
    for (const [at, remove, insert] of edits) {
      const index = at % (text.length + 1);
      text = text.slice(0, index) + insert + text.slice(index + remove);
    }
    return text;
  });

const aliasBomb = fc.tuple(fc.integer({ min: 2, max: 2000 }), fc.boolean(), grantLiteral).map(([count, mutation, literal]) => {
  const field = mutation ? `createTokenWithIAM(input: ${literal}) { accessToken }` : "gateway { version }";
  return `${mutation ? "mutation" : "query"} { ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(" ")} }`;
});

const deepNesting = fc.tuple(fc.integer({ min: 10, max: 20_000 }), fc.constantFrom("selection", "list", "object", "fragments")).map(([depth, shape]) => {
  switch (shape) {
    case "selection":
      return `query { ${"gateway { ".repeat(depth)}version${" }".repeat(depth)} }`;
    case "list":
      return `mutation { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "a", scope: ${"[".repeat(depth)}"s"${"]".repeat(depth)} }) { accessToken } }`;
    case "object":
      return `mutation { createTokenWithIAM(input: ${"{ grantType: ".repeat(depth)}JWT_BEARER${" }".repeat(depth)}) { accessToken } }`;
    default:
      return `query { ...F0 } ${Array.from({ length: Math.min(depth, 2000) }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(" ")} fragment F${Math.min(depth, 2000)} on Query { ...F0 }`;
  }
});

const directiveFlood = fc
  .tuple(fc.integer({ min: 1, max: 2000 }), fc.constantFrom("@skip(if: false)", "@include(if: true)", "@deprecated", "@foo", "@skip(if: $x)", '@specifiedBy(url: "x")'), grantLiteral, fc.boolean())
  .map(([count, directive, literal, onOperation]) => {
    const directives = Array(count).fill(directive).join(" ");
    return onOperation
      ? `mutation M ${directives} { createTokenWithIAM(input: ${literal}) { accessToken } }`
      : `mutation { createTokenWithIAM(input: ${literal}) ${directives} { accessToken ${directives} } }`;
  });

const manyOperations = fc.integer({ min: 2, max: 500 }).map((count) => Array.from({ length: count }, (_, i) => `query Q${i} { gateway { version } }`).join("\n"));

/**
 * APQ floods: distinct documents padded by a comment (bytes, no tokens) up to past APQ_MAX_DOCUMENT_BYTES,
 * registered with their hash, a wrong hash, or a hash alone; each is one more entry an attacker tries to store.
 */
const paddedPersistedQuery = fc
  .tuple(fc.nat(), fc.integer({ min: 0, max: 40_000 }), fc.constantFrom("register", "wrong hash", "hash only", "bad version"))
  .map(([n, padding, form]) => {
    const query = `query Flood${n} { gateway { version } } # ${"x".repeat(padding)}`;
    const sha256Hash = form === "wrong hash" ? "0".repeat(64) : createHash("sha256").update(query).digest("hex");
    const persistedQuery = { version: form === "bad version" ? 2 : 1, sha256Hash };
    return { ...(form === "hash only" ? {} : { query }), extensions: { persistedQuery } };
  });

export const documentCase: fc.Arbitrary<GraphQLCase> = fc.oneof(
  fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }), fc.array(fc.constantFrom(...NOISE), { maxLength: 80 }).map((parts) => parts.join(" ")))
    .map((query) => ({ kind: "document" as const, label: "random text", body: { query } })),
  mutatedTemplate.map((query) => ({ kind: "document" as const, label: "mutated operation", body: { query, variables: { input: { grantType: "JWT_BEARER" } } } })),
  aliasBomb.map((query) => ({ kind: "document" as const, label: "alias bomb", body: { query } })),
  deepNesting.map((query) => ({ kind: "document" as const, label: "deep nesting", body: { query } })),
  directiveFlood.map((query) => ({ kind: "document" as const, label: "directive flood", body: { query } })),
  manyOperations.map((query) => ({ kind: "document" as const, label: "many operations", body: { query } })),
  paddedPersistedQuery.map((body) => ({ kind: "document" as const, label: "persisted-query flood", body })),
  fc.jsonValue({ maxDepth: 2 }).map((query) => ({ kind: "document" as const, label: "query not a string", body: { query } })),
);

const CONTENT_TYPES = [
  "application/json", "application/json; charset=utf-8", "application/graphql-response+json", "application/graphql", "text/plain",
  "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "", "application/json; charset=latin1", "*/*",
];
const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const headerValue = fc.stringMatching(/^[\x20-\x7E]{0,64}$/).map((value) => value.trim());

const httpBody = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? "null")),
  fc.tuple(fc.constantFrom(...TEMPLATES.slice(2, 3)), fc.nat({ max: 60 })).map(([query, cut]) => Buffer.from(JSON.stringify({ query }).slice(0, -cut - 1))),
  fc.array(fc.record({ query: fc.constantFrom(...TEMPLATES), variables: fc.jsonValue({ maxDepth: 2 }) }), { maxLength: 50 }).map((batch) => Buffer.from(JSON.stringify(batch))),
  fc.record({ query: fc.constantFrom(...TEMPLATES), variables: fc.jsonValue({ maxDepth: 2 }) }).map((request) => Buffer.from(JSON.stringify(request))),
  fc.integer({ min: 60_000, max: 2_000_000 }).map((size) => Buffer.from(JSON.stringify({ query: `query { gateway { version } } #${"x".repeat(size)}` }))),
  fc.integer({ min: 100, max: 50_000 }).map((depth) => Buffer.from(`${"[".repeat(depth)}${"]".repeat(depth)}`)),
  fc.string({ maxLength: 300 }).map((text) => Buffer.from(`query=${encodeURIComponent(text)}`)),
  fc.constant(undefined),
);

const httpPath = fc.oneof(
  { weight: 4, arbitrary: fc.constant("/graphql") },
  fc.constantFrom("/graphql/", "//graphql", "/graphql?", "/healthz", "/readyz", "/metrics", "/", "/explorer", "/graphql/../healthz", "/%2e%2e/graphql", "/graphql#x"),
  fc.string({ maxLength: 200 }).map((query) => `/graphql?query=${encodeURIComponent(query)}`),
  fc.constantFrom(...TEMPLATES).map((query) => `/graphql?query=${encodeURIComponent(query)}&variables=%7B%22input%22%3A1%7D`),
  fc.stringMatching(/^\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]{0,80}$/),
);

export const httpCase: fc.Arbitrary<HttpCase> = fc
  .record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("POST", "GET") },
      { weight: 3, arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD") },
      { weight: 1, arbitrary: token.map((name) => name.toUpperCase()) },
    ),
    path: httpPath,
    contentType: fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue),
    extraHeaders: fc.dictionary(token, headerValue, { maxKeys: 6 }),
    preflight: fc.boolean(),
    body: httpBody,
  })
  .map(({ method, path, contentType, extraHeaders, preflight, body }) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(extraHeaders)) {
      if (!["content-length", "transfer-encoding", "host", "connection", "expect", "upgrade"].includes(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    if (contentType !== "") headers["content-type"] = contentType;
    if (preflight) headers["apollo-require-preflight"] = "true";
    const sendsBody = body !== undefined && method !== "GET" && method !== "HEAD";
    const standard = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"].includes(method);
    const route = path.split("?")[0];
    const label = `${standard ? method : "unknown method"} ${route === "/graphql" ? "/graphql" : "other path"}${path.includes("?query=") ? " ?query" : ""}`;
    return { kind: "http" as const, label, method, path, headers, body: sendsBody ? body : undefined };
  });

/** Just under the default MAX_BODY_BYTES (64 KB) once serialized, with room for the document. */
const BODY_ROOM = 62_000;

/** Long lists and oversized strings in variables: past the schema's bounds, up to a 64 KB body. */
const oversizedVariables: fc.Arbitrary<GraphQLCase> = fc.oneof(
  fc.tuple(fc.integer({ min: 51, max: 31_000 }), fc.constantFrom<unknown>(1, null, "s", {}, [], true, "x".repeat(300)), fc.constantFrom(CREATE_DOC, REFRESH_DOC))
    .map(([count, item, query]) => {
      const itemChars = JSON.stringify(item).length + 1;
      const scope = Array(Math.min(count, Math.floor(BODY_ROOM / itemChars))).fill(item);
      const input = query === CREATE_DOC ? { grantType: "JWT_BEARER", assertion: "x.y.z", scope } : { refreshToken: "aor-x", scope };
      return { kind: "variables" as const, label: "long list", body: { query, variables: { input } } };
    }),
  fc.tuple(fc.constantFrom("assertion", "code", "refreshToken", "subjectToken", "clientId", "redirectUri", "codeVerifier", "grantType"), fc.integer({ min: 129, max: BODY_ROOM }))
    .map(([field, chars]) => ({ kind: "variables" as const, label: "oversized string", body: { query: CREATE_DOC, variables: { input: { grantType: "JWT_BEARER", assertion: "x.y.z", [field]: "s".repeat(chars) } } } })),
  fc.integer({ min: 12, max: 5_000 })
    .map((keys) => ({ kind: "variables" as const, label: "input with many keys", body: { query: CREATE_DOC, variables: { input: Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i])) } } })),
  fc.tuple(fc.integer({ min: 1, max: 50 }), fc.constantFrom<unknown>(1, 1e300, {}, [[]], { a: "v".repeat(1000) }))
    .map(([count, item]) => ({ kind: "variables" as const, label: "bounded list of wrong items", body: { query: CREATE_DOC, variables: { input: { grantType: "JWT_BEARER", assertion: "x.y.z", scope: Array(count).fill(item) } } } })),
);

/** Documents of one to three operations (a garbage exchange among them), and the operationName sent with them. */
const operationsWithName = fc
  .tuple(
    fc.array(fc.constantFrom("query", "mutation"), { minLength: 1, maxLength: 3 }),
    fc.boolean(),
    fc.oneof(fc.constant<"absent">("absent"), fc.constant(null), fc.constant(""), fc.constantFrom("Op0", "Op1", "Op2", "Nope", "op0"), fc.string({ maxLength: 20 }), fc.integer()),
  )
  .map(([kinds, anonymousFirst, operationName]) => {
    const operations = kinds.map((kind, i) => {
      const name = i === 0 && anonymousFirst ? "" : ` Op${i}`;
      return kind === "query" ? `query${name} { __typename }` : `mutation${name} { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "x.y.z" }) { accessToken } }`;
    });
    return { query: operations.join("\n"), operationName };
  });

const mismatchedOperationPost: fc.Arbitrary<GraphQLCase> = operationsWithName.map(({ query, operationName }) => ({
  kind: "document" as const,
  label: "operationName (POST)",
  body: operationName === "absent" ? { query } : { query, operationName },
}));

/** The same over GET with the CSRF preflight header: no mutation may run, named or not. */
const mismatchedOperationGet: fc.Arbitrary<HttpCase> = operationsWithName.map(({ query, operationName }) => {
  const params = new URLSearchParams({ query });
  if (operationName !== "absent" && operationName !== null) params.set("operationName", String(operationName));
  return { kind: "http" as const, label: "operationName (GET)", method: "GET", path: `/graphql?${params}`, headers: { "apollo-require-preflight": "true", accept: "application/json" }, body: undefined };
});

/**
 * Automatic persisted queries: registrations of distinct documents padded by a comment (no extra
 * tokens) up to ~60 KB, each a new hash for the store; registrations whose hash does not match; and
 * lookups of hashes never registered.
 */
const persistedQueryFlood: fc.Arbitrary<GraphQLCase> = fc.oneof(
  fc.tuple(fc.uuid(), fc.integer({ min: 0, max: BODY_ROOM - 200 }), fc.constantFrom("query { __typename }", "query { gateway { version } }"))
    .map(([id, padding, document]) => {
      const query = `${document} # ${id} ${"p".repeat(padding)}`;
      const sha256Hash = createHash("sha256").update(query).digest("hex");
      return { kind: "document" as const, label: "persisted query registration", body: { query, extensions: { persistedQuery: { version: 1, sha256Hash } } } };
    }),
  fc.tuple(fc.uuid(), fc.stringMatching(/^[0-9a-f]{64}$/))
    .map(([id, sha256Hash]) => ({ kind: "document" as const, label: "persisted query, wrong hash", body: { query: `query { __typename } # ${id}`, extensions: { persistedQuery: { version: 1, sha256Hash } } } })),
  fc.stringMatching(/^[0-9a-f]{64}$/)
    .map((sha256Hash) => ({ kind: "document" as const, label: "persisted query, unknown hash", body: { extensions: { persistedQuery: { version: 1, sha256Hash } } } })),
);

export const hostileCase: fc.Arbitrary<FuzzCase> = fc.oneof(oversizedVariables, mismatchedOperationPost, mismatchedOperationGet, persistedQueryFlood);

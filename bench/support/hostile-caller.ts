import { createHash } from "node:crypto";
import { Agent, request } from "node:http";

/**
 * A hostile caller and a bystander, for the attack bench row (bench/scenarios/hostile-caller.ts) and
 * its integration test (test/integration/hardening/hostile-caller.test.ts). Each binds its own
 * loopback address (Linux routes all of 127.0.0.0/8 to loopback), so the gateway's per-caller rate
 * limit sees two callers. The hostile one sends the most expensive refusals known, each under the
 * default MAX_BODY_BYTES (64 KB), at exactly its allowance (RATE_LIMIT_CALLER_BURST at once, then
 * RATE_LIMIT_CALLER_PER_SECOND, evenly spaced), without waiting for answers.
 */

export const HOSTILE_ADDRESS = "127.0.0.2";
export const BYSTANDER_ADDRESS = "127.0.0.3";
/** The gateway's defaults (RATE_LIMIT_CALLER_PER_SECOND, RATE_LIMIT_CALLER_BURST). */
export const DEFAULT_CALLER_ALLOWANCE = { perSecond: 20, burst: 40 } as const;

const CREATE = "mutation Create($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken refreshToken } }";
const BODY_BUDGET = 63_000;

/** Fills `variables` up to ~63 KB of JSON with `fill(count)`. */
function sized(make: (count: number) => string, unit: number): string {
  const base = make(0).length;
  return make(Math.floor((BODY_BUDGET - base) / unit));
}

/** Node's default header limit is 16 KiB for the request line and headers together: a GET's query string stays under it. */
const QUERY_STRING_BUDGET = 15_800;
const QUERY = "query Q($input: CreateTokenWithIAMInput!) { gateway { version } }";

/** GET /graphql?query=…&variables=… with `fill(count)` as variables, its query string up to ~15.8 KB. */
function sizedGet(fill: (count: number) => unknown): string {
  const search = (count: number) => `?${new URLSearchParams({ query: QUERY, variables: JSON.stringify(fill(count)) })}`;
  let count = 1;
  while (search(count * 2).length < QUERY_STRING_BUDGET) count *= 2;
  for (let step = count / 2; step >= 1; step /= 2) if (search(count + step).length < QUERY_STRING_BUDGET) count += step;
  return search(count);
}

/**
 * A refusal: a POST `body`, or a GET with `search` as its query string (Apollo answers queries over
 * GET, with the preflight header its CSRF prevention asks for).
 */
export type Refusal = { label: string; body: string; search?: undefined } | { label: string; search: string; body?: undefined };

/** The requestFrom options that send `refusal`. */
export function refusalRequest(url: string, refusal: Refusal): { url: string; body?: string; headers?: Record<string, string> } {
  return refusal.search === undefined ? { url, body: refusal.body } : { url: `${url}${refusal.search}`, headers: { "apollo-require-preflight": "1" } };
}

/** The most expensive refusals known (before issue 11, the first cost 350–570 ms of CPU each). */
export const EXPENSIVE_REFUSALS: ReadonlyArray<Refusal> = [
  { label: "31,000-item scope list", body: sized((n) => JSON.stringify({ query: CREATE, variables: { input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(n).fill(1) } } }), 2) },
  { label: "31,000 null scope items", body: sized((n) => JSON.stringify({ query: CREATE, variables: { input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(n).fill(null) } } }), 5) },
  { label: "60 KB assertion", body: sized((n) => JSON.stringify({ query: CREATE, variables: { input: { grantType: "JWT_BEARER", assertion: "e".repeat(n) } } }), 1) },
  { label: "input object with thousands of unknown keys", body: sized((n) => JSON.stringify({ query: CREATE, variables: { input: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1])) } }), 12) },
  { label: "50 scope items that are 1 KB objects", body: JSON.stringify({ query: CREATE, variables: { input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(50).fill({ a: "v".repeat(1000) }) } } }) },
  { label: "50 scope items that are numbers (50 coercion errors)", body: JSON.stringify({ query: CREATE, variables: { input: { grantType: "JWT_BEARER", assertion: "x".repeat(8000), scope: Array(50).fill(1e300) } } }) },
  { label: "mismatched operationName behind a 60 KB comment", body: sized((n) => JSON.stringify({ query: `${CREATE} #${"c".repeat(n)}`, operationName: "Other", variables: { input: { grantType: "JWT_BEARER", assertion: "x" } } }), 1) },
  { label: "several operations, no operationName", body: JSON.stringify({ query: Array.from({ length: 60 }, (_, i) => `query Q${i} { __typename }`).join(" ") }) },
  // Found by an attacker's review (each cost 70–175 ms of CPU before errors were capped in number and
  // length, line breaks bounded, suggestions not made, and a backtracking regular expression replaced).
  { label: "31,000 line breaks before 100 unknown fields", body: JSON.stringify({ query: `${"\n".repeat(31_000)}query L { ${Array.from({ length: 100 }, (_, f) => `f${f}`).join(" ")} }` }) },
  { label: "an unknown input key of 'cannot represent' × 3,875", body: JSON.stringify({ query: CREATE, variables: { input: { grantType: "JWT_BEARER", ["cannot represent".repeat(3_875)]: 1 } } }) },
  { label: "a 62 KB operation name and 100 unused variables", body: JSON.stringify({ query: `query Q${"n".repeat(62_000)}(${Array.from({ length: 100 }, (_, v) => `$a${v}: Int`).join(" ")}) { __typename }` }) },
  { label: "a 62 KB string of 'Did you mean' for an Int argument", body: JSON.stringify({ query: `query D { session { awsCredentials(durationSeconds: "${"Did you mean".repeat(5_166)}") { roleArn } } }` }) },
  { label: "990 repeated fields (over MAX_COST)", body: JSON.stringify({ query: `query C { gateway { ${"version ".repeat(990)} } }` }) },
  { label: "a 'constructor' key beside a 31,000-item list (secure-json-parse walks the whole body)", body: sized((n) => JSON.stringify({ query: CREATE, variables: { constructor: 1, input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(n).fill(1) } } }), 2) },
  // Found by an attacker's review (2026-12-03): within every other limit, 15–60 ms of validation (graphql-js compares
  // repeated selections pairwise) and ~500 ms (graphql-jit compiling 300 levels beneath __schema, which graphql-armor's
  // depth and cost limits skip) each, before limits/expanded-selections.rule.ts refused them at the document.
  { label: "249 × gateway { version } (repeated selections, compared pairwise)", body: JSON.stringify({ query: `query R { ${"gateway { version } ".repeat(249)}}` }) },
  { label: "__schema nested 300 deep", body: JSON.stringify({ query: `query Deep { __schema { types { ${"ofType { ".repeat(300)}name ${"} ".repeat(300)}} } }` }) },
  // Found by a second attacker's review (2026-12): 15 aliases of __schema { types { …every field… } } cost ~132 ms of CPU
  // each (graphql-jit compiling ~75 ms, running ~60 ms), refused now (no aliases in introspection); a 12-alias mutation
  // of every field, distinct each time, ~18 ms each (graphql-jit compiled every one, before its variables were checked),
  // now compiled only when it comes again.
  { label: "15 aliases of __schema { types { every field } }", body: JSON.stringify({ query: `query A { ${Array.from({ length: 15 }, (_, a) => `s${a}: __schema { types { ...T } }`).join(" ")} } fragment T on __Type { kind name description fields(includeDeprecated: true) { name description args { name description type { kind name ofType { kind name } } } type { kind name ofType { kind name ofType { kind name } } } } inputFields { name type { name } } enumValues { name description } interfaces { name } possibleTypes { name } }` }) },
  { label: "a 12-alias mutation of every field, its variable missing (compiled before, now only when it comes again)", body: JSON.stringify({ query: `mutation M($input: CreateTokenWithIAMInput!) { ${Array.from({ length: 12 }, (_, a) => `a${a}: createTokenWithIAM(input: $input) { accessToken tokenType expiresIn refreshToken idToken issuedTokenType scope awsAdditionalDetails { identityContext } clientId issuedAt expiresAt isAwsToken isExpired secondsRemaining expiresInSeconds canRefresh idTokenClaims { subject issuer audience issuedAt expiresAt authTime identityStoreId instanceArn raw } }`).join(" ")} }` }) },
  // Over GET, ~1.5 ms each on a slow host (as much as the costlier bodies): taken in turns like them.
  { label: "GET: 3,000-item scope list in the query string", search: sizedGet((n) => ({ input: { grantType: "JWT_BEARER", assertion: "x", scope: Array(n).fill(1) } })) },
  { label: "GET: hundreds of unknown keys in the query string", search: sizedGet((n) => ({ input: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1])) })) },
];

/**
 * A valid request, not a refusal (an attacker's review, 2026-12-03): introspection without aliases, within every limit,
 * ~10 ms of CPU and a 162 KB answer each (execution and serialization, in the caller's turn), distinct each time by a
 * comment so no cache answers it. Answered only where introspection is on (outside NODE_ENV=production, or
 * INTROSPECTION=true). Before turns had a time budget, a burst of 40 held the loop ~600 ms once (another caller's
 * /healthz p99 562 ms).
 */
export function validIntrospection(index: number): string {
  return JSON.stringify({
    query: `{ __schema { types { ...T } } }
fragment T on __Type { name description kind fields { name description args { name description type { ...W } } type { ...W } } inputFields { name description type { ...W } } enumValues { name description } }
fragment W on __Type { name description kind ofType { name description ofType { name description ofType { name description ...L } ...L } ...L } ...L }
fragment L on __Type { fields { name description args { name description type { name } } type { name description ofType { name ofType { name ofType { name } } } } } inputFields { name description type { name ofType { name ofType { name } } } } enumValues { name description } }
# ${index}`,
  });
}

/** A persisted-query registration whose document is padded by a comment (no extra tokens). */
export function paddedPersistedQuery(index: number, padChars: number): string {
  const query = `query Q${index} { __typename } #${"p".repeat(padChars)}`;
  const sha256Hash = createHash("sha256").update(query).digest("hex");
  return JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } });
}

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** One HTTP request from `localAddress` (a keep-alive agent per caller keeps its connections). */
export function requestFrom(agent: Agent, url: string, options: { localAddress: string; method?: string; body?: string; headers?: Record<string, string> }): Promise<Answer> {
  const target = new URL(url);
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        agent, host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? (options.body === undefined ? "GET" : "POST"), localAddress: options.localAddress,
        headers: { ...(options.body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(options.body) }), ...options.headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => { text += chunk; }).on("end", () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - startedAt }));
      },
    );
    req.on("error", (error) => resolve({ status: 0, text: String(error), ms: performance.now() - startedAt }));
    req.end(options.body);
  });
}

export function callerAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 64 });
}

/**
 * The hostile caller: its whole burst at once, then `perSecond` requests a second, evenly spaced,
 * cycling through EXPENSIVE_REFUSALS (with `validIntrospection`, every other request a validIntrospection), for `durationMs`. Resolves with every answer once all are in.
 */
export async function runHostileCaller(options: { url: string; durationMs: number; allowance?: { perSecond: number; burst: number }; validIntrospection?: boolean }): Promise<Answer[]> {
  const { perSecond, burst } = options.allowance ?? DEFAULT_CALLER_ALLOWANCE;
  const agent = callerAgent();
  const pending: Array<Promise<Answer>> = [];
  let sent = 0;
  let refusals = 0;
  const send = () => {
    // With validIntrospection, every other request is validIntrospection (the bench's gateway turns introspection on).
    if (options.validIntrospection === true && sent++ % 2 === 1) {
      pending.push(requestFrom(agent, options.url, { localAddress: HOSTILE_ADDRESS, body: validIntrospection(sent) }));
      return;
    }
    if (options.validIntrospection !== true) sent++;
    const { url, ...request } = refusalRequest(options.url, EXPENSIVE_REFUSALS[refusals++ % EXPENSIVE_REFUSALS.length]!);
    pending.push(requestFrom(agent, url, { localAddress: HOSTILE_ADDRESS, ...request }));
  };
  const startedAt = performance.now();
  for (let i = 0; i < burst; i++) send();
  const intervalMs = 1000 / perSecond;
  for (let next = startedAt + intervalMs; next < startedAt + options.durationMs; next += intervalMs) {
    await sleep(next - performance.now());
    send();
  }
  try {
    return await Promise.all(pending);
  } finally {
    agent.destroy();
  }
}

/**
 * The bystander: `perSecond` requests a second for `durationMs`, one at a time per stream, each
 * built by `next()` (a GET of /healthz, or an exchange). Resolves with every answer.
 */
export async function runBystander(options: { url: string; durationMs: number; perSecond: number; next: () => { url?: string; body?: string } }): Promise<Answer[]> {
  const agent = callerAgent();
  const answers: Array<Promise<Answer>> = [];
  const startedAt = performance.now();
  const intervalMs = 1000 / options.perSecond;
  try {
    for (let next = startedAt; next < startedAt + options.durationMs; next += intervalMs) {
      await sleep(next - performance.now());
      const { url, body } = options.next();
      answers.push(requestFrom(agent, url ?? options.url, { localAddress: BYSTANDER_ADDRESS, ...(body === undefined ? {} : { body }) }));
    }
    return await Promise.all(answers);
  } finally {
    agent.destroy();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createGatewayServer, type GatewayServer } from "../../../src/server/index.js";
import { lruCachePublications } from "../../support/lru-cache-channel.js";
import { capturingLogger, DEFAULT_CLIENT_ID, FIXED_TOKEN, fakeTokenService, testConfig } from "./server-fixtures.js";

/**
 * A grant written into the document itself (a literal instead of a variable) is legal GraphQL, so the
 * document, grant and all, is what Apollo caches once it has parsed and validated it. Apollo's own
 * document store is lru-cache, which publishes every key and value it gets or sets (and the cache
 * itself) on the `lru-cache:metrics` diagnostics channel to any subscriber in the process: an APM agent
 * would receive the grant. The gateway gives Apollo caches of its own (src/server/apollo-caches.ts), and
 * never persists such a document (src/server/document-secrets.ts).
 */

const ASSERTION = `eyJhbGciOiJSUzI1NiJ9.${"inlined-grant-".repeat(4)}.c2ln`;
const INLINED = `mutation Inlined { createTokenWithIAM(input: { grantType: JWT_BEARER, assertion: "${ASSERTION}", clientId: "${DEFAULT_CLIENT_ID}" }) { tokenType } }`;

const fake = fakeTokenService(() => FIXED_TOKEN);
let server: GatewayServer;
let url: string;

beforeAll(async () => {
  server = await createGatewayServer({ config: testConfig(), tokenService: fake.tokenService, logger: capturingLogger().logger, upstreamLabel: "fake" });
  ({ url } = await server.listen(0, "127.0.0.1"));
});
afterAll(async () => {
  await server?.close();
});

async function post(body: Record<string, unknown>): Promise<{ data?: unknown; errors?: unknown[] }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await response.json()) as { data?: unknown; errors?: unknown[] };
}

it("publishes no document, and so no inlined grant, on a diagnostics channel: parsed, cached, read again and persisted (APQ)", async () => {
  const published = await lruCachePublications(async () => {
    const persistedQuery = { version: 1, sha256Hash: createHash("sha256").update(INLINED).digest("hex") };
    const answers = [
      await post({ query: INLINED }),
      // The same document again: parsed again, since the document store keeps no document carrying a grant.
      await post({ query: INLINED }),
      // Offered as a persisted query: executed, but a document carrying a grant is never stored (apq-cache.ts) …
      await post({ query: INLINED, extensions: { persistedQuery } }),
    ];
    for (const answer of answers) expect(answer).toEqual({ data: { createTokenWithIAM: { tokenType: "Bearer" } } });
    // … so its hash alone is not found, and the client sends the document again, as APQ has it.
    expect(await post({ extensions: { persistedQuery } })).toMatchObject({ errors: [{ extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }] });
  });
  expect(fake.calls.map(([, request]) => "assertion" in request && request.assertion)).toEqual([ASSERTION, ASSERTION, ASSERTION]);
  expect(published).toEqual([]);
});

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { GraphQLRequestContext, GraphQLRequestListener } from "@apollo/server";
import { createPersistedQueryRegistrants } from "../../../src/server/apq-registrants.js";
import type { GatewayContext } from "../../../src/schema/context.js";

/**
 * Who is registering which persisted query (apq-registrants.ts), as Apollo drives the plugin: a
 * request starts, and later its response is sent. An attacker's review found the one-caller-a-key
 * map let another caller's request for the same hash (even a mismatching one, refused with 400)
 * overwrite or remove the registrant's entry before its document was stored.
 */

const hash = createHash("sha256").update("{ op }").digest("hex");

async function start(plugin: ReturnType<typeof createPersistedQueryRegistrants>["plugin"], caller: string, request: Record<string, unknown>) {
  const context = { request, contextValue: { caller: { address: caller } } } as unknown as GraphQLRequestContext<GatewayContext>;
  const listener = (await plugin.requestDidStart?.(context)) as GraphQLRequestListener<GatewayContext> | undefined;
  return { end: () => listener?.willSendResponse?.(context as never) };
}

const registration = { query: "{ op }", extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };

describe("persisted-query registrants", () => {
  it("keeps every caller registering a hash until its own response: another caller's request neither replaces nor removes it", async () => {
    const { plugin, registrantsOf } = createPersistedQueryRegistrants();
    const victim = await start(plugin, "198.51.100.9", registration);
    const attacker = await start(plugin, "203.0.113.7", { ...registration, query: "{ other }" });
    expect(registrantsOf(`apq:${hash}`)).toEqual(["198.51.100.9", "203.0.113.7"]);
    await attacker.end();
    expect(registrantsOf(`apq:${hash}`)).toEqual(["198.51.100.9"]);
    const again = await start(plugin, "198.51.100.9", registration);
    await victim.end();
    expect(registrantsOf(`apq:${hash}`)).toEqual(["198.51.100.9"]);
    await again.end();
    expect(registrantsOf(`apq:${hash}`)).toEqual([]);
  });

  it("records nothing for a request that cannot register: no document, no extension, or a hash that is not a SHA-256", async () => {
    const { plugin, registrantsOf } = createPersistedQueryRegistrants();
    for (const request of [
      { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
      { query: "{ op }" },
      { query: "{ op }", extensions: { persistedQuery: null } },
      { query: "{ op }", extensions: { persistedQuery: { version: 1, sha256Hash: hash.toUpperCase() } } },
      { query: "{ op }", extensions: { persistedQuery: { version: 1, sha256Hash: "x".repeat(100_000) } } },
    ]) {
      const started = await start(plugin, "203.0.113.7", request);
      expect(registrantsOf(`apq:${hash}`)).toEqual([]);
      await started.end();
    }
  });
});

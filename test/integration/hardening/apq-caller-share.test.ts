import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";
import { persistedQuerySlotKeys } from "../../../src/server/apq-cache.js";
import { deleteKeysWithPrefix, eventually, rawRedis, SHARED_REDIS_URL, uniqueKeyPrefix } from "../store/redis-test-support.js";
import { httpFrom, postJsonFrom } from "./from-address.js";

/**
 * An attacker's review found that one address could fill the persisted-query table (APQ_MAX_ENTRIES)
 * in 43 s with padded documents and hold it for APQ_TTL_SECONDS: everyone else's registrations were
 * refused, their clients sending every document twice. APQ_MAX_ENTRIES_PER_CALLER bounds one
 * caller's share. Real gateway processes; callers are distinct loopback source addresses.
 */

const ATTACKER = "127.0.0.2";
const NEIGHBOUR = "127.0.0.3";
const SHARE = 5;

const hashOf = (query: string) => createHash("sha256").update(query).digest("hex");
/** A distinct document padded with a comment, as the review's attacker sent them. */
const padded = (label: string, n: number) => `query ${label}${n} { __typename } # ${"x".repeat(2000)}`;

/** Registers `query` from `from` (POST, or GET as Apollo Client's useGETForHashedQueries sends it): the HTTP status. */
async function register(from: string, url: string, query: string, method: "POST" | "GET" = "POST"): Promise<number> {
  const extensions = { persistedQuery: { version: 1, sha256Hash: hashOf(query) } };
  if (method === "POST") return (await postJsonFrom(from, url, { query, extensions })).status;
  const target = new URL(url);
  target.searchParams.set("query", query);
  target.searchParams.set("extensions", JSON.stringify(extensions));
  return (await httpFrom(from, target.toString(), { headers: { "apollo-require-preflight": "true" } })).status;
}

/** How many of `documents` a gateway runs by hash alone, asked from an uninvolved address. */
async function kept(url: string, documents: string[]): Promise<number> {
  let count = 0;
  for (const query of documents) {
    const response = await postJsonFrom("127.0.0.9", url, { extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(query) } } });
    if ((JSON.parse(response.body) as { data?: unknown }).data !== undefined) count += 1;
  }
  return count;
}

async function registrations(gateway: GatewayProcess, outcome: string): Promise<number> {
  const metrics = await (await fetch(new URL("/metrics", gateway.url))).text();
  return Number(metrics.match(new RegExp(`^idc_gateway_persisted_query_registrations_total\\{outcome="${outcome}"\\} (\\d+)$`, "m"))?.[1] ?? 0);
}

const TABLE = 1000;
const ENV = { HOST: "127.0.0.1", RATE_LIMIT_CALLER_PER_SECOND: "0", APQ_MAX_ENTRIES: String(TABLE), APQ_MAX_ENTRIES_PER_CALLER: String(SHARE) };

/** Apollo stores a registration beside answering it: waits until the gateways have decided `count` of them. */
async function settled(gateways: GatewayProcess[], count: number): Promise<void> {
  await eventually(`${count} registrations decided`, async () => {
    let decided = 0;
    for (const gateway of gateways) decided += (await registrations(gateway, "stored")) + (await registrations(gateway, "caller_over_budget"));
    return decided >= count;
  });
}

describe("memory mode: one caller registering padded documents", () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({ env: ENV });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("stores only its share, executes every request, and leaves the table to the next caller", async () => {
    const flood = Array.from({ length: 60 }, (_, n) => padded("Flood", n));
    // In bursts of 10 at once, by POST and by GET: neither concurrency nor the method widens the share.
    for (let start = 0; start < flood.length; start += 10) {
      const statuses = await Promise.all(flood.slice(start, start + 10).map((query, i) => register(ATTACKER, gateway.url, query, i % 2 === 0 ? "POST" : "GET")));
      expect(statuses).toEqual(Array(10).fill(200));
    }
    await settled([gateway], flood.length);
    expect(await kept(gateway.url, flood)).toBe(SHARE);

    const app = Array.from({ length: 10 }, (_, n) => `query App${n} { __typename }`);
    for (const query of app.slice(0, SHARE)) expect(await register(NEIGHBOUR, gateway.url, query)).toBe(200);
    expect(await kept(gateway.url, app.slice(0, SHARE))).toBe(SHARE);

    expect(await registrations(gateway, "stored")).toBe(2 * SHARE);
    expect(await registrations(gateway, "caller_over_budget")).toBe(flood.length - SHARE);
  });

  it("cannot aim at an app's slots: four documents made to take the slots its operation's hash points to do not keep it out", async () => {
    const operation = "query AppCritical { gateway { version } }";
    // Offline, as an attacker would: for each slot the hash alone points to, a document of its own whose hash points there first.
    const aimedAt = persistedQuerySlotKeys(`apq:${hashOf(operation)}`, TABLE);
    const blockers = aimedAt.map((slot) => {
      for (let n = 0; ; n += 1) {
        const document = `query Block${n} { __typename }`;
        if (persistedQuerySlotKeys(`apq:${hashOf(document)}`, TABLE)[0] === slot) return document;
      }
    });
    for (const document of blockers) expect(await register("127.0.0.4", gateway.url, document)).toBe(200);
    // From a caller with its whole share left (NEIGHBOUR spent its own above).
    expect(await register("127.0.0.5", gateway.url, operation)).toBe(200);
    await settled([gateway], 60 + SHARE + blockers.length + 1);
    expect(await kept(gateway.url, blockers)).toBe(blockers.length);
    expect(await kept(gateway.url, [operation])).toBe(1);
  });
});

const sharedRedis = await probeSharedRedis();

describeNeeding(sharedRedis, "Redis mode, two replicas: one caller registering through both", () => {
  const prefix = uniqueKeyPrefix("apq-share");
  let replicas: GatewayProcess[] = [];
  beforeAll(async () => {
    const env = { ...ENV, REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, GATEWAY_SECRET: "apq-caller-share-test-secret-000001" };
    replicas = await Promise.all([startGateway({ env }), startGateway({ env })]);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    const redis = rawRedis();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it("gets one share across the replicas, not one per replica", async () => {
    const flood = Array.from({ length: 30 }, (_, n) => padded("Spread", n));
    await Promise.all(flood.map((query, n) => register(ATTACKER, (replicas[n % 2] as GatewayProcess).url, query)));
    await settled(replicas, flood.length);
    expect(await kept((replicas[0] as GatewayProcess).url, flood)).toBe(SHARE);
    const stored = (await registrations(replicas[0] as GatewayProcess, "stored")) + (await registrations(replicas[1] as GatewayProcess, "stored"));
    expect(stored).toBe(SHARE);

    const redis = rawRedis();
    try {
      expect(await redis.keys(`${prefix}idc:v1:persisted-query:doc:*`)).toHaveLength(SHARE);
      expect(await redis.keys(`${prefix}idc:v1:persisted-query:slot:*`)).toHaveLength(SHARE);
    } finally {
      redis.disconnect();
    }
  });
});

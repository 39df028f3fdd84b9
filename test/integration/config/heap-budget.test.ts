import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { describeHeapShortfall, HEAP_BESIDES_CACHE_BYTES } from "../../../src/config/heap-budget.js";
import { heapTenants } from "../../../src/server/heap-tenants.js";
import { startGateway } from "../../support/gateway-process.js";

const MB = 1024 * 1024;
/** The image's heap (NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=16"): V8's heap_size_limit. */
const IMAGE_HEAP_LIMIT = 208 * MB;
const ROLE = "arn:aws:iam::123456789012:role/IdentityCenterUser";
const IMAGE_NODE_OPTIONS = "--max-old-space-size=160 --max-semi-space-size=16";

const tenantsOf = (env: NodeJS.ProcessEnv) => heapTenants(loadConfig({ NODE_ENV: "development", ...env }));
const heapWarnings = (lines: ReadonlyArray<Record<string, unknown>>) => lines.filter((line) => String(line.msg).includes("heap limit")).map((line) => String(line.msg));

describe("heap budget", () => {
  it("counts the bounded holders of heap: the response cache, the credentials cache, and without Redis refresh families and identity contexts", () => {
    expect(tenantsOf({ ALLOWED_ROLE_ARNS: ROLE }).map((tenant) => [tenant.name, Math.round(tenant.bytes / MB)])).toEqual([
      ["CACHE_MAX_BYTES", 64],
      ["AWS credentials", 16],
      ["refresh families", 24],
      ["identity contexts", 12],
    ]);
    // Off features hold nothing (identity contexts are kept only while credentials are on).
    expect(tenantsOf({ REFRESH_REUSE_DETECTION: "false" }).map((tenant) => tenant.name)).toEqual(["CACHE_MAX_BYTES"]);
    // On Redis the bookkeeping lives in Redis; each replica still keeps its local levels.
    expect(tenantsOf({ REDIS_URL: "redis://127.0.0.1:6379", ALLOWED_ROLE_ARNS: ROLE }).map((tenant) => tenant.name)).toEqual(["CACHE_MAX_BYTES", "AWS credentials"]);
  });

  it("accepts the defaults under the image's heap budget, with every store full", () => {
    expect(describeHeapShortfall(tenantsOf({ ALLOWED_ROLE_ARNS: ROLE }), IMAGE_HEAP_LIMIT)).toBeUndefined();
  });

  it("names every tenant, the total, the heap limit and the heap to ask for when they cannot fit", () => {
    const tenants = tenantsOf({ CACHE_MAX_BYTES: String(512 * MB), ALLOWED_ROLE_ARNS: ROLE });
    const needed = Math.ceil(tenants.reduce((sum, tenant) => sum + tenant.bytes, HEAP_BESIDES_CACHE_BYTES) / MB);
    const warning = describeHeapShortfall(tenants, IMAGE_HEAP_LIMIT);
    expect(warning).toBe(
      `The gateway's bounded memory (CACHE_MAX_BYTES 512 MB, AWS credentials 16 MB, refresh families 24 MB, identity contexts 12 MB, the rest of the gateway 64 MB) needs ${needed} MB, more than this process's heap limit (208 MB): full, it would run the process out of memory. Raise --max-old-space-size (NODE_OPTIONS) to at least ${needed} MB, or lower CACHE_MAX_BYTES.`,
    );
  });

  it("stays quiet for a gateway on the defaults with the image's heap (embedded: credentials on, every store counted)", async () => {
    const nodeOptions = [process.env.NODE_OPTIONS, IMAGE_NODE_OPTIONS].filter(Boolean).join(" ");
    const gateway = await startGateway({ env: { NODE_OPTIONS: nodeOptions } });
    try {
      expect(heapWarnings(gateway.logLines())).toEqual([]);
    } finally {
      await gateway.stop();
    }
  });

  it("is logged by a gateway started with a cache too large for its heap, which still serves", async () => {
    const nodeOptions = [process.env.NODE_OPTIONS, IMAGE_NODE_OPTIONS].filter(Boolean).join(" ");
    const gateway = await startGateway({ env: { CACHE_MAX_BYTES: String(512 * MB), NODE_OPTIONS: nodeOptions } });
    try {
      const warnings = gateway.logLines().filter((line) => line.level === 40).map((line) => String(line.msg));
      expect(warnings.some((message) => message.startsWith("The gateway's bounded memory (CACHE_MAX_BYTES 512 MB,") && message.includes("heap limit (208 MB)"))).toBe(true);
      const response = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
      expect(await response.json()).toEqual({ data: { __typename: "Query" } });
    } finally {
      await gateway.stop();
    }
  });
});

import { describe, expect, it } from "vitest";
import { describeHeapShortfall, HEAP_BESIDES_CACHE_BYTES } from "../../../src/config/heap-budget.js";
import { startGateway } from "../../support/gateway-process.js";

const MB = 1024 * 1024;

describe("heap budget", () => {
  it("stays quiet for a gateway on the defaults", async () => {
    const gateway = await startGateway();
    try {
      expect(gateway.logLines().filter((line) => String(line.msg).includes("heap limit"))).toEqual([]);
    } finally {
      await gateway.stop();
    }
  });

  it("accepts the defaults under the image's heap budget (CACHE_MAX_BYTES 64 MB, heap limit 208 MB with --max-old-space-size=160)", () => {
    expect(describeHeapShortfall(64 * MB, 208 * MB)).toBeUndefined();
  });

  it("names the variable, both sizes and the heap to ask for when the cache cannot fit", () => {
    const warning = describeHeapShortfall(512 * MB, 208 * MB);
    expect(warning).toContain("CACHE_MAX_BYTES (512 MB)");
    expect(warning).toContain("heap limit (208 MB)");
    expect(warning).toContain(`--max-old-space-size (NODE_OPTIONS) to at least ${512 + HEAP_BESIDES_CACHE_BYTES / MB} MB`);
  });

  it("is logged by a gateway started with a cache too large for its heap, which still serves", async () => {
    const nodeOptions = [process.env.NODE_OPTIONS, "--max-old-space-size=160"].filter(Boolean).join(" ");
    const gateway = await startGateway({ env: { CACHE_MAX_BYTES: String(512 * MB), NODE_OPTIONS: nodeOptions } });
    try {
      const warnings = gateway.logLines().filter((line) => line.level === 40).map((line) => String(line.msg));
      expect(warnings.some((message) => message.startsWith("CACHE_MAX_BYTES (512 MB) does not fit this process's heap limit"))).toBe(true);
      const response = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
      expect(await response.json()).toEqual({ data: { __typename: "Query" } });
    } finally {
      await gateway.stop();
    }
  });
});

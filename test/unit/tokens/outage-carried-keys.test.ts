import { describe, expect, it } from "vitest";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { carriedThroughOutage } from "../../../src/tokens/outage-carried-keys.js";

const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });

describe("carriedThroughOutage", () => {
  it.each(["refresh-family-revoked", "refresh-node", "access-family", "identity-context", "identity-user-out", "refresh-successor", "late-code-answer", "token-cache", "token-cache-link"])(
    "carries %s (what the gateway decided or AWS answered during the outage)",
    (purpose) => expect(carriedThroughOutage(keyspace.key(purpose, "part"))).toBe(true),
  );

  it.each(["sf-lock", "sf-result", "sf-done", "aws-credentials", "token-cache-evict", "refresh"])("leaves %s in process memory", (purpose) => {
    expect(carriedThroughOutage(keyspace.key(purpose, "part"))).toBe(false);
  });

  it("reads the purpose only from a keyspace key", () => {
    expect(carriedThroughOutage("refresh-node:x")).toBe(false);
    expect(carriedThroughOutage("idc:v1:refresh-node")).toBe(false);
    expect(carriedThroughOutage("other:v1:refresh-node:x")).toBe(false);
  });
});

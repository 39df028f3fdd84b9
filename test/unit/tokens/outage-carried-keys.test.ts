import { describe, expect, it } from "vitest";
import { createKeyspace } from "../../../src/store/keyspace.js";
import { carriedThroughOutage } from "../../../src/tokens/outage-carried-keys.js";

const keyspace = createKeyspace({ secret: Buffer.alloc(32, 7) });

describe("carriedThroughOutage", () => {
  it.each(["refresh-family-revoked", "refresh-node", "access-family", "identity-context", "identity-user-out", "refresh-successor", "late-code-answer", "token-cache", "token-cache-link"])(
    "carries %s (what the gateway decided or AWS answered during the outage)",
    (purpose) => expect(carriedThroughOutage(keyspace.key(purpose, "part"))).toBeDefined(),
  );

  it.each(["sf-result", "sf-done", "aws-credentials", "token-cache-evict", "refresh"])("leaves %s in process memory", (purpose) => {
    expect(carriedThroughOutage(keyspace.key(purpose, "part"))).toBeUndefined();
  });

  it("reads the purpose only from a keyspace key", () => {
    expect(carriedThroughOutage("refresh-node:x")).toBeUndefined();
    expect(carriedThroughOutage("idc:v1:token-cachex")).toBeUndefined();
    expect(carriedThroughOutage("abc:v1:refresh-node:x")).toBeUndefined();
  });

  it("keeps a revocation and a sign-out mark apart (priority), the greater mark winning; answers never replace newer ones", () => {
    expect(carriedThroughOutage(keyspace.key("refresh-family-revoked", "f"))).toEqual({ replay: "overwrite", priority: true });
    expect(carriedThroughOutage(keyspace.key("identity-user-out", "c", "s"))).toEqual({ replay: "greatest", priority: true });
    expect(carriedThroughOutage(keyspace.key("refresh-node", "c", "r"))).toEqual({ replay: "overwrite" });
    expect(carriedThroughOutage(keyspace.key("token-cache", "f"))).toEqual({ replay: "if-absent" });
  });

  it("carries only the releases of a flight's locks (taken on Redis before the outage), never their acquisitions", () => {
    expect(carriedThroughOutage(keyspace.key("sf-lock", "f"))).toEqual({ replay: "release" });
  });
});

import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
import { callerNetworks } from "../../../src/server/caller-networks.js";
import { createSessionsWithoutSubject } from "../../../src/sessions/sessions-without-subject.js";
import { createKeyspace, createMemoryStore } from "../../../src/store/index.js";

describe("sessions without an ID token per caller (SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER)", () => {
  const counters = (limit: number, windowMs = 60_000) =>
    createSessionsWithoutSubject({ store: createMemoryStore(), keyspace: createKeyspace({ secret: Buffer.alloc(32, 5) }), limit, windowMs });
  const withoutOpenid = { scope: ["aws"] };
  const withOpenid = { scope: ["openid", "aws"] };
  const noScope = { scope: undefined };

  it("lets a caller start its allowance, then refuses it with RATE_LIMITED naming the variable, and no other caller", async () => {
    const limits = counters(2, 3_600_000);
    for (let i = 0; i < 2; i++) {
      await limits.check("10.0.0.1", withoutOpenid);
      await limits.record("10.0.0.1", false);
    }
    // Counted for the window, not a moment.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await limits.check("10.0.0.1", withoutOpenid).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe("RATE_LIMITED");
    expect((refused as GatewayError).message).toContain("SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=2");
    expect((refused as GatewayError).message).toContain("ask for the openid scope");
    expect((refused as GatewayError).details).toMatchObject({ retryAfterSeconds: 3600 });
    await expect(limits.check("10.0.0.2", withoutOpenid)).resolves.toBeUndefined();
  });

  it("never refuses a sign-in asking for openid, nor counts one that got an ID token", async () => {
    const limits = counters(1);
    await limits.record("10.0.0.4", false);
    await expect(limits.check("10.0.0.4", withoutOpenid)).rejects.toThrow(/SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER/);
    await expect(limits.check("10.0.0.4", withOpenid)).resolves.toBeUndefined();
    const fresh = counters(1);
    await fresh.record("10.0.0.5", true);
    await expect(fresh.check("10.0.0.5", withoutOpenid)).resolves.toBeUndefined();
  });

  it("takes a sign-in naming no scope as one that may come without an ID token (an authorization code's scopes are its caller's choice)", async () => {
    const limits = counters(1);
    await limits.record("10.0.0.6", false);
    await expect(limits.check("10.0.0.6", noScope)).rejects.toThrow(/SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER/);
    await expect(limits.check("10.0.0.7", noScope)).resolves.toBeUndefined();
  });

  it("counts over one window: the caller is served again once it ends", async () => {
    const limits = counters(1, 40);
    await limits.record("10.0.0.3", false);
    await expect(limits.check("10.0.0.3", withoutOpenid)).rejects.toThrow(/SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER/);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(limits.check("10.0.0.3", withoutOpenid)).resolves.toBeUndefined();
  });

  it("counts the IPv6 callers of one /48 together too, IPV6_NETWORK_CALLERS times a caller's allowance, naming the network", async () => {
    const networks = callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 2 });
    const limits = createSessionsWithoutSubject({ store: createMemoryStore(), keyspace: createKeyspace({ secret: Buffer.alloc(32, 5) }), limit: 1, windowMs: 60_000, networks });
    for (const caller of ["2001:db8:1:100::/56", "2001:db8:1:200::/56"]) {
      await limits.check(caller, withoutOpenid);
      await limits.record(caller, false);
    }
    const refused = await limits.check("2001:db8:1:300::/56", withoutOpenid).then(() => undefined, (error: unknown) => error);
    expect((refused as GatewayError).message).toBe(
      "This caller's IPv6 network started 2 (IPV6_NETWORK_CALLERS=2 × SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=1) sessions without an ID token within SESSION_ABSOLUTE_LIFETIME_SECONDS=60; ask for the openid scope, or retry within 60 s.",
    );
    // Its own allowance spent, a caller is told so; another /48 and an IPv4 caller are not held by this network's count.
    await expect(limits.check("2001:db8:1:100::/56", withoutOpenid)).rejects.toThrow(/^This caller started SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=1 /);
    await expect(limits.check("2001:db8:2:100::/56", withoutOpenid)).resolves.toBeUndefined();
    await expect(limits.check("203.0.113.7", withoutOpenid)).resolves.toBeUndefined();
    await expect(limits.check("2001:db8:1:300::/56", withOpenid)).resolves.toBeUndefined();
  });

  it("refuses a limit below 1 or not an integer", () => {
    for (const limit of [0, -1, 1.5]) expect(() => counters(limit)).toThrow(/limit must be an integer >= 1 \(got /);
    expect(() => counters(1)).not.toThrow();
  });
});

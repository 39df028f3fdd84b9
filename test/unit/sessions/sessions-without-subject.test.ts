import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors/error-codes.js";
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

  it("refuses a limit below 1 or not an integer", () => {
    for (const limit of [0, -1, 1.5]) expect(() => counters(limit)).toThrow(/limit must be an integer >= 1 \(got /);
    expect(() => counters(1)).not.toThrow();
  });
});

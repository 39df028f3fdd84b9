/**
 * The STS part of the emulator's configuration: a bad role stops the emulator at start naming the
 * field, and the default configuration has exactly the one role that allows sts:SetContext.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_ROLE_ARN, EmulatorConfigError, resolveEmulatorConfig, startEmulator } from "../../src/emulator/index.js";

describe("roles in the emulator's configuration", () => {
  it("defaults to one role, allowing sts:SetContext for up to an hour", () => {
    expect(resolveEmulatorConfig({}).roles).toEqual([{ arn: DEFAULT_ROLE_ARN, allowSetContext: true, maxSessionDurationSeconds: 3600 }]);
    expect(DEFAULT_ROLE_ARN).toBe("arn:aws:iam::123456789012:role/IdentityCenterUser");
  });

  const bad: [string, unknown, string][] = [
    ["a user ARN as a role", { roles: [{ arn: "arn:aws:iam::123456789012:user/bob" }] }, "roles[0].arn: must be an IAM role ARN"],
    ["a maximum session under one hour", { roles: [{ arn: DEFAULT_ROLE_ARN, maxSessionDurationSeconds: 900 }] }, "roles[0].maxSessionDurationSeconds"],
    ["a maximum session over twelve hours", { roles: [{ arn: DEFAULT_ROLE_ARN, maxSessionDurationSeconds: 43201 }] }, "roles[0].maxSessionDurationSeconds"],
    ["the same role twice", { roles: [{ arn: DEFAULT_ROLE_ARN }, { arn: DEFAULT_ROLE_ARN }] }, `roles: arn ${DEFAULT_ROLE_ARN} appears twice`],
    ["an unknown role field", { roles: [{ arn: DEFAULT_ROLE_ARN, trustPolicy: {} }] }, "roles[0]"],
  ];
  for (const [title, config, field] of bad) {
    it(`refuses ${title} at start, naming it`, async () => {
      const error = await startEmulator({ port: 0, config: config as never }).then(
        async (running) => (await running.stop(), undefined),
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(EmulatorConfigError);
      expect((error as Error).message).toContain(field);
    });
  }
});

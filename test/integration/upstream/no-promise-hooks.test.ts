import { executionAsyncId } from "node:async_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createStsUpstream } from "../../../src/upstream/create-sts-upstream.js";
import { createUpstream } from "../../../src/upstream/index.js";

/**
 * The upstream clients never turn on Node's promise hooks. On Node 20 an AsyncLocalStorage's first
 * `run()` (how the per-call timeout and abort signal once reached the SDK) turns them on for the whole
 * process, for good, and from then on every promise of every request pays for them (~50 µs of CPU per
 * cache hit; bench/profile.ts b against b-floor). While no hook is on, a promise continuation runs
 * with execution async id 0; once one is, it gets an id of its own.
 */
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.stop();
});

const continuationAsyncId = (): Promise<number> => Promise.resolve().then(() => executionAsyncId());

it("leaves promise hooks off through replayable, single-use and STS calls, retries and deadlines included", async () => {
  // The precondition: nothing in this test process turned them on before (otherwise this test proves nothing).
  expect(await continuationAsyncId()).toBe(0);

  const options = {
    region: emulator.region, endpoint: emulator.url, credentials: emulator.credentials,
    timeoutMs: 2000, connectTimeoutMs: 1000, maxAttempts: 3, logger: createLogger({ level: "silent" }),
  };
  const upstream = createUpstream(options);
  const sts = createStsUpstream(options);
  try {
    const post = async (path: string, body: unknown) =>
      (await fetch(`${emulator.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<Record<string, string>>;
    const { assertion } = await post("/_emulator/assertions", { sub: "alice" });
    const issued = await upstream.createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: assertion! });
    expect(issued.accessToken).toEqual(expect.any(String));
    // A single-use grant goes through the other client; a spent refresh token is refused (AWS answered).
    await expect(upstream.createTokenWithIAM({ clientId: emulator.defaultClientId, grantType: "refresh_token", refreshToken: "never-issued" })).rejects.toMatchObject({ code: "INVALID_GRANT" });
    await expect(sts.assumeRoleWithIdentityContext({
      roleArn: "arn:aws:iam::123456789012:role/not-configured", roleSessionName: "alice", durationSeconds: 900, identityContext: "not-a-context",
    })).rejects.toBeDefined();
  } finally {
    upstream.destroy();
    sts.destroy();
  }

  expect(await continuationAsyncId()).toBe(0);
});

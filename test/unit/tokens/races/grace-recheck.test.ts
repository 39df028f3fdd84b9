import { describe, expect, it } from "vitest";
import type { UpstreamTokenRequest } from "../../../../src/upstream/index.js";
import { memoryBackend, redisBackend } from "./race-support.js";

/**
 * Safeguard (token-exchanger.ts, refresh): "Another replica may have rotated this token between
 * our grace check and our lock" — the refresh flight's leader looks the grace window up again
 * once it holds the lock. Forced: caller 1's grace lookup reads a miss and is held there; caller 2
 * (another replica, or another request to the same process) refreshes the same token to the end;
 * then caller 1 goes on and leads its own flight. Without the re-check it presents the rotated
 * token to AWS, which answers INVALID_GRANT (and, with AWS's reuse detection, may take it for a replay).
 */
const backends = [memoryBackend(), await redisBackend("grace-recheck.test.ts")];

const presented = (calls: UpstreamTokenRequest[]) => calls.map((call) => call.refreshToken);

describe.each(backends)("the grace re-check inside a refresh flight ($name)", (backend) => {
  it.skipIf(!backend.available)("serves a refresh whose grace check missed just before the same token was rotated the successor, and never presents the rotated token to AWS", async () => {
    const { upstream, one, two } = backend.start();

    const graceLookup = one.store.hold<Buffer | null>("get", "refresh-successor");
    const late = one.service.forRequest().refresh({ refreshToken: "session-root" });
    expect((await graceLookup.reached).result).toBeNull();
    const winner = await two.service.forRequest().refresh({ refreshToken: "session-root" });
    graceLookup.release();

    expect(await late).toEqual(winner);
    expect(winner).toMatchObject({ accessToken: "access-1", refreshToken: "refresh-1" });
    expect(presented(upstream.calls)).toEqual(["session-root"]);
  });
});

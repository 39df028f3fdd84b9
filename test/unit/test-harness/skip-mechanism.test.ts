import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { findFreePort } from "../../integration/store/redis-test-support.js";
import { FAIL_ON_SKIPPED_TESTS_VARIABLE } from "../../support/summary-reporter.js";
import { REDIS_PROBE_URL_VARIABLE, describeNeeding, probeSharedRedis } from "../../support/test-dependencies.js";

/**
 * The no-silent-skips mechanism, end to end: a vitest of its own runs a fixture with one case that
 * needs Redis, on a machine that "has no Redis" (the probe pointed at a closed port). The case is
 * still registered and skipped with its reason; with FAIL_ON_SKIPPED_TESTS=1 (as `.ci/run` sets)
 * the same skip is a named failure and the run fails.
 */

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const VITEST = fileURLToPath(new URL("../../../node_modules/vitest/vitest.mjs", import.meta.url));
const CONFIG = "test/unit/test-harness/fixtures/vitest.fixture.config.ts";
const SKIPPED_CASE = "test/unit/test-harness/fixtures/needs-redis.fixture.ts > a case needing Redis [skipped: Redis is not reachable at redis://127.0.0.1:";

function runFixture(env: Record<string, string>) {
  // The outer run's own VITEST* variables would make the inner vitest think it is a worker.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST") && name !== FAIL_ON_SKIPPED_TESTS_VARIABLE));
  const run = spawnSync(process.execPath, [VITEST, "run", "--config", CONFIG], {
    cwd: REPO_ROOT,
    env: { ...inherited, NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  const lines = run.stdout.trimEnd().split("\n");
  return { status: run.status, output: run.stdout + run.stderr, summary: lines[lines.length - 1] };
}

it("registers a Redis case where Redis is missing, and skips it naming the reason", async () => {
  const closedPort = await findFreePort();
  const run = runFixture({ [REDIS_PROBE_URL_VARIABLE]: `redis://127.0.0.1:${closedPort}` });
  expect(run.summary).toBe("1 passed, 0 failed, 2 skipped");
  expect(run.output).toContain(`2 test(s) skipped:\n  - ${SKIPPED_CASE}${closedPort}; start redis-server to run these] > gets PONG from Redis`);
  expect(run.status).toBe(0);
}, 90_000);

it(`fails the run and names the skipped case under ${FAIL_ON_SKIPPED_TESTS_VARIABLE}=1, except the one marked optional here`, async () => {
  const closedPort = await findFreePort();
  const run = runFixture({ [REDIS_PROBE_URL_VARIABLE]: `redis://127.0.0.1:${closedPort}`, [FAIL_ON_SKIPPED_TESTS_VARIABLE]: "1" });
  expect(run.summary).toBe("1 passed, 1 failed, 1 skipped");
  expect(run.output).toContain(
    `2 test(s) did not run; ${FAIL_ON_SKIPPED_TESTS_VARIABLE}=1 counts each as failed unless marked optional here:\n  - ${SKIPPED_CASE}${closedPort}; start redis-server to run these] > gets PONG from Redis`,
  );
  expect(run.status).toBe(1);
}, 90_000);

describeNeeding(await probeSharedRedis(), "with Redis there", () => {
  it(`runs the Redis case, and ${FAIL_ON_SKIPPED_TESTS_VARIABLE}=1 passes`, () => {
    const run = runFixture({ [FAIL_ON_SKIPPED_TESTS_VARIABLE]: "1" });
    expect(run.summary).toBe("3 passed, 0 failed, 0 skipped");
    expect(run.output).not.toContain("did not run");
    expect(run.status).toBe(0);
  }, 90_000);
});

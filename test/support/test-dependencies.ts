import { spawnSync } from "node:child_process";
import { Socket } from "node:net";
import { describe } from "vitest";

/**
 * What a test needs from the machine (a running Redis, the redis-server binary, chromium).
 * A suite that needs a missing one is still registered, and skipped with the reason in its name,
 * so the total never silently drops; under `.ci/run` the summary reporter turns every skip into a
 * failure (see FAIL_ON_SKIPPED_TESTS in summary-reporter.ts), so CI proves it ran them all.
 */
export interface TestDependency {
  readonly name: string;
  /** Why it is not usable here and how to fix that; undefined when it is available. */
  readonly missing: string | undefined;
}

/** The shared Redis the test machines run (`.ci/run` starts it). */
export const SHARED_REDIS_URL = "redis://127.0.0.1:6379";

/**
 * Test-only: where the shared-Redis probe looks instead of SHARED_REDIS_URL. Only the test of the
 * skip mechanism sets it (to a closed port) to play a machine without Redis.
 */
export const REDIS_PROBE_URL_VARIABLE = "TEST_REDIS_PROBE_URL";

/** The shared Redis counts as there when something accepts a TCP connection at its address. */
export async function probeSharedRedis(): Promise<TestDependency> {
  const url = new URL(process.env[REDIS_PROBE_URL_VARIABLE] ?? SHARED_REDIS_URL);
  const reachable = await acceptsConnections(url.hostname, Number(url.port || 6379));
  return {
    name: "shared Redis",
    missing: reachable ? undefined : `Redis is not reachable at ${url.href.replace(/\/$/, "")}; start redis-server to run these`,
  };
}

/** The tests that crash, refill or starve a Redis start their own `redis-server` process. */
export function probeRedisServerBinary(): TestDependency {
  const installed = spawnSync("redis-server", ["--version"]).status === 0;
  return { name: "redis-server", missing: installed ? undefined : "redis-server is not installed; install it (apt-get install -y redis-server) to run these" };
}

/** The AWS CLI (botocore), to prove a second AWS client parses the emulator's answers. */
export function probeAwsCli(): TestDependency {
  const installed = spawnSync("aws", ["--version"]).status === 0;
  return { name: "aws CLI", missing: installed ? undefined : "the AWS CLI is not installed; install it (pip install awscli) to run these" };
}

/** botocore on python3 (the AWS CLI v1's own library), for tests that run botocore's code itself. */
export function probeBotocore(): TestDependency {
  const installed = spawnSync("python3", ["-c", "import botocore.session"]).status === 0;
  return { name: "botocore", missing: installed ? undefined : "python3 cannot import botocore; install it (pip install botocore, or the AWS CLI v1, which brings it) to run these" };
}

/** Wraps a probe that throws its own explanation (as `findChromium` does) into a dependency. */
export function dependencyFrom(name: string, probe: () => unknown): TestDependency {
  try {
    probe();
    return { name, missing: undefined };
  } catch (error) {
    return { name, missing: error instanceof Error ? error.message : String(error) };
  }
}

/** `title`, or `title [skipped: why]` when a dependency is missing: the reason travels with every test in it. */
export function titleNeeding(dependencies: readonly TestDependency[], title: string): string {
  const reasons = missingReasons(dependencies);
  return reasons.length === 0 ? title : `${title} [skipped: ${reasons.join("; ")}]`;
}

/**
 * `describe` whose tests are always registered: run when every dependency is there, otherwise
 * skipped (its hooks too, so nothing tries to reach what is missing) with the reason in the title.
 */
export function describeNeeding(dependencies: TestDependency | readonly TestDependency[], title: string, body: () => void): void {
  const needed = Array.isArray(dependencies) ? (dependencies as readonly TestDependency[]) : [dependencies as TestDependency];
  const reasons = missingReasons(needed);
  if (reasons.length > 0) console.warn(`\n!!! SKIPPING "${title}": ${reasons.join("; ")} !!!\n`);
  describe.skipIf(reasons.length > 0)(titleNeeding(needed, title), body);
}

function missingReasons(dependencies: readonly TestDependency[]): string[] {
  return dependencies.flatMap((dependency) => (dependency.missing === undefined ? [] : [dependency.missing]));
}

/** True when a TCP connection to host:port is accepted within half a second. */
export function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
    socket.connect(port, host);
  });
}

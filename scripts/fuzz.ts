/**
 * `npm run fuzz`: property-based fuzzing of a real gateway process (embedded emulator), at least
 * 10,000 cases: GraphQL documents, variables, raw HTTP and hostile requests (long lists, operation
 * names, persisted-query floods; test/fuzz/). Every case must be
 * answered (no reset, no hang), never with a 5xx, never with an upstream call for input that
 * cannot be valid; afterwards the process must be alive, /healthz 200, and no error-level log line.
 * Prints the counts and writes bench/results/fuzz.json. It runs every case even after a failure
 * (the counts stay complete) and lists the first failing inputs per problem; exit code 1 when any
 * property failed. `npm test` runs the same properties strictly, with fast-check's shrinking.
 *
 * Options (argv): --runs=<n> total cases (default 10000, split 30/25/25/20 over documents,
 * variables, HTTP, hostile), --seed=<n> (default random).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { readCliOptions } from "./cli-options.js";
import { documentCase, hostileCase, httpCase, variablesCase, type FuzzCase } from "../test/fuzz/fuzz-arbitraries.js";
import { createFuzzRunner, FUZZ_GATEWAY_ENV, FuzzTally, type FuzzRunner } from "../test/fuzz/fuzz-runner.js";
import { startGateway } from "../test/support/gateway-process.js";

const args = readCliOptions({
  command: "npm run fuzz --",
  summary: "Property-based fuzzing of a real gateway process; writes bench/results/fuzz.json, exit code 1 when a property failed.",
  options: {
    runs: { value: "<n>", default: "10000", description: "total cases, split 30/25/25/20 over documents, variables, HTTP, hostile" },
    seed: { value: "<n>", default: "random", description: "fast-check seed, to replay a run" },
  },
});
const totalRuns = Number(args.runs ?? 10_000);
const seed = args.seed === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(args.seed);
if (!Number.isInteger(totalRuns) || totalRuns < 3) throw new Error(`--runs must be an integer >= 3 (got ${JSON.stringify(args.runs)})`);

const RESULTS_DIR = fileURLToPath(new URL("../bench/results/", import.meta.url));
const families: Array<{ name: string; arbitrary: fc.Arbitrary<FuzzCase>; runs: number }> = [
  { name: "documents", arbitrary: documentCase, runs: Math.ceil(totalRuns * 0.3) },
  { name: "variables", arbitrary: variablesCase, runs: Math.ceil(totalRuns * 0.25) },
  { name: "http", arbitrary: httpCase, runs: Math.ceil(totalRuns * 0.25) },
  { name: "hostile", arbitrary: hostileCase, runs: Math.ceil(totalRuns * 0.2) },
];

/** Failing inputs, verbatim (truncated), the first few per distinct problem: the fuzz keeps going to give full counts. */
const failingInputs: Array<{ problem: string; input: string }> = [];

async function runFamily(runner: FuzzRunner, tally: FuzzTally, family: (typeof families)[number]) {
  const started = performance.now();
  const result = await fc.check(
    fc.asyncProperty(family.arbitrary, async (fuzzCase) => {
      const outcome = await runner.run(fuzzCase);
      tally.add(outcome);
      if (outcome.problem) {
        const problem = outcome.problem.slice(0, 120);
        if (failingInputs.filter((failure) => failure.problem === problem).length < 3) failingInputs.push({ problem, input: describeCase(fuzzCase) });
      }
    }),
    { numRuns: family.runs, seed },
  );
  const seconds = (performance.now() - started) / 1000;
  const report = fc.defaultReportMessage(result);
  console.log(`${family.name}: ${result.numRuns} cases in ${seconds.toFixed(1)} s — ${result.failed ? "FAILED" : "ok"}`);
  if (report) console.log(report);
  return { family: family.name, cases: result.numRuns, seconds: Number(seconds.toFixed(1)), failed: result.failed, counterexample: result.failed ? report : undefined };
}

async function main() {
  const started = performance.now();
  const gateway = await startGateway({ env: FUZZ_GATEWAY_ENV });
  const rssKb = () => readRssKb(gateway.child.pid);
  const rssStartKb = rssKb();
  const runner = await createFuzzRunner({ url: gateway.url, emulatorUrl: gateway.emulatorUrl! });
  const tally = new FuzzTally();
  console.log(`fuzzing ${gateway.url} with ${totalRuns} cases, seed ${seed}`);
  const runs = [];
  try {
    for (const family of families) runs.push(await runFamily(runner, tally, family));
  } finally {
    runner.close();
  }
  const alive = gateway.child.exitCode === null;
  const healthz = alive ? (await fetch(new URL("/healthz", gateway.url)).then((response) => response.status, () => 0)) : 0;
  const rssEndKb = rssKb();
  const errorLogLines = gateway.logLines().filter((line) => Number(line.level) >= 50).map((line) => String(line.msg));
  const exitCode = await gateway.stop();

  const summary = {
    when: new Date().toISOString(),
    seed,
    durationSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    cases: tally.cases,
    runs,
    statuses: tally.statuses,
    codes: tally.codes,
    upstream: tally.upstream,
    problems: { count: tally.problems.length, byProblem: countBy(tally.problems.map((p) => `${p.label}: ${p.problem.slice(0, 120)}`)), failingInputs },
    after: { processAlive: alive, healthzStatus: healthz, errorLogLines, exitCodeOnSigterm: exitCode },
    gatewayRssMb: { start: round(rssStartKb / 1024), end: round(rssEndKb / 1024) },
    slowestCaseMsByFamily: Object.fromEntries(Object.entries(tally.durations).map(([label, d]) => [label, Math.round(d.maxMs)])),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}fuzz.json`, `${JSON.stringify(summary, null, 2)}\n`);

  const clean = tally.problems.length === 0 && runs.every((run) => !run.failed) && alive && healthz === 200 && errorLogLines.length === 0 && tally.upstream.mustNotCall.calls === 0;
  console.log(`\n${tally.cases.total} cases in ${summary.durationSeconds} s (seed ${seed})`);
  console.log(`  by family: ${JSON.stringify(tally.cases.byKind)}`);
  console.log(`  HTTP statuses: ${JSON.stringify(tally.statuses)}`);
  console.log(`  codes: ${JSON.stringify(tally.codes)}`);
  console.log(`  upstream calls: ${tally.upstream.mustNotCall.calls} for ${tally.upstream.mustNotCall.cases} cases that cannot be valid; ${tally.upstream.mayCall.calls} for ${tally.upstream.mayCall.cases} that might`);
  console.log(`  afterwards: process ${alive ? "alive" : "DEAD"}, /healthz ${healthz}, ${errorLogLines.length} error-level log lines, exit ${exitCode} on SIGTERM`);
  console.log(`  gateway RSS: ${summary.gatewayRssMb.start} MB → ${summary.gatewayRssMb.end} MB`);
  console.log(`  problems: ${tally.problems.length}`);
  for (const failure of failingInputs) console.log(`    ${failure.problem}\n      input: ${failure.input}`);
  console.log(`wrote bench/results/fuzz.json — ${clean ? "CLEAN" : "NOT CLEAN"}`);
  process.exitCode = clean ? 0 : 1;
}

function readRssKb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Linux: VmRSS of the gateway process (not this one).
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function describeCase(fuzzCase: FuzzCase): string {
  const text = fuzzCase.kind === "http"
    ? JSON.stringify({ method: fuzzCase.method, path: fuzzCase.path, headers: fuzzCase.headers, body: fuzzCase.body?.toString("utf8").slice(0, 300) })
    : JSON.stringify(fuzzCase.body);
  return text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * `npm run soak`: a real gateway (embedded emulator) under 60 seconds of mixed load, from a bounded
 * pool of concurrent loops of fetches: fresh JWT-bearer exchanges, refreshes (rotating), repeated
 * exchanges of the same assertion, and invalid inputs. Records every request sent and answered
 * (a lost response = no HTTP answer or a hang), the codes, latency, and the gateway's RSS at
 * start / end / peak; writes bench/results/soak.json. Exit code 1 when a response was lost, an
 * answer was 5xx or INTERNAL_SERVER_ERROR, or the process died.
 *
 * Options (argv): --duration=<s> (60), --concurrency=<n> (16), --rate-limits=off|default (off: one
 * client sends everything, so the per-caller limit would measure itself).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../src/emulator/index.js";
import { readCliOptions } from "./cli-options.js";
import { startGateway } from "../test/support/gateway-process.js";

const args = readCliOptions({
  command: "npm run soak --",
  summary: "A real gateway under mixed load; writes bench/results/soak.json, exit code 1 when a response was lost or answered 5xx.",
  options: {
    duration: { value: "<s>", default: "60", description: "seconds of load" },
    concurrency: { value: "<n>", default: "16", description: "concurrent request loops" },
    "rate-limits": { value: "off|default", default: "off", description: "off: one client sends everything, so the per-caller limit would measure itself" },
  },
});
const DURATION_S = Number(args.duration ?? 60);
const CONCURRENCY = Number(args.concurrency ?? 16);
const RATE_LIMITS = args["rate-limits"] ?? "off";
const HANG_MS = 30_000;
const RESULTS_DIR = fileURLToPath(new URL("../bench/results/", import.meta.url));

const EXCHANGE = "mutation Exchange($input: CreateTokenWithIAMInput!) { createTokenWithIAM(input: $input) { accessToken refreshToken expiresAt } }";
const REFRESH = "mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken refreshToken expiresAt } }";

type Kind = "fresh exchange" | "repeated exchange" | "refresh" | "invalid input";
interface Outcome { kind: Kind; status: number | "lost"; code: string; ms: number }

interface Tally {
  sent: number;
  answered: number;
  lost: number;
  lostSamples: string[];
  byKind: Record<string, { sent: number; codes: Record<string, number>; latenciesMs: number[] }>;
  statuses: Record<string, number>;
}

const tally: Tally = { sent: 0, answered: 0, lost: 0, lostSamples: [], byKind: {}, statuses: {} };

function record(outcome: Outcome, lostReason?: string) {
  const kind = (tally.byKind[outcome.kind] ??= { sent: 0, codes: {}, latenciesMs: [] });
  kind.sent++;
  kind.codes[outcome.code] = (kind.codes[outcome.code] ?? 0) + 1;
  kind.latenciesMs.push(outcome.ms);
  tally.statuses[String(outcome.status)] = (tally.statuses[String(outcome.status)] ?? 0) + 1;
  if (outcome.status === "lost") {
    tally.lost++;
    if (lostReason && tally.lostSamples.length < 10) tally.lostSamples.push(`${outcome.kind}: ${lostReason}`);
  } else {
    tally.answered++;
  }
}

async function post(url: string, kind: Kind, body: string): Promise<{ data?: any; code: string }> {
  const started = performance.now();
  tally.sent++;
  try {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(HANG_MS) });
    const text = await response.text();
    let parsed: { data?: any; errors?: Array<{ extensions?: { code?: string } }>; code?: string } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // An answer that is not JSON still is an answer; its code is "-".
    }
    const code = parsed.errors?.[0]?.extensions?.code ?? parsed.code ?? (response.ok ? "ok" : "-");
    record({ kind, status: response.status, code, ms: performance.now() - started });
    return { data: parsed.data, code };
  } catch (error) {
    record({ kind, status: "lost", code: "lost", ms: performance.now() - started }, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return { code: "lost" };
  }
}

async function mintAssertion(emulatorUrl: string, sub: string): Promise<string> {
  const response = await fetch(new URL("/_emulator/assertions", emulatorUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sub, expiresInSeconds: 3600 }) });
  return ((await response.json()) as { assertion: string }).assertion;
}

/** One client loop: picks an operation by weight, keeps its own refresh tokens and a reusable assertion. */
async function clientLoop(worker: number, gatewayUrl: string, emulatorUrl: string, until: number) {
  const refreshTokens: string[] = [];
  let repeatable = await mintAssertion(emulatorUrl, `soak-repeat-${worker}`);
  for (let n = 0; Date.now() < until; n++) {
    const dice = Math.random();
    if (dice < 0.35 || (dice < 0.6 && refreshTokens.length === 0)) {
      const assertion = await mintAssertion(emulatorUrl, `soak-${worker}-${n % 50}`);
      const { data } = await post(gatewayUrl, "fresh exchange", JSON.stringify({ query: EXCHANGE, variables: { input: { grantType: "JWT_BEARER", assertion } } }));
      const refreshToken = data?.createTokenWithIAM?.refreshToken;
      if (refreshToken) refreshTokens.push(refreshToken);
    } else if (dice < 0.6) {
      const refreshToken = refreshTokens.shift()!;
      const { data } = await post(gatewayUrl, "refresh", JSON.stringify({ query: REFRESH, variables: { input: { refreshToken } } }));
      const next = data?.refreshToken?.refreshToken;
      if (next) refreshTokens.push(next);
    } else if (dice < 0.8) {
      const { code } = await post(gatewayUrl, "repeated exchange", JSON.stringify({ query: EXCHANGE, variables: { input: { grantType: "JWT_BEARER", assertion: repeatable } } }));
      if (code === "INVALID_GRANT") repeatable = await mintAssertion(emulatorUrl, `soak-repeat-${worker}-${n}`);
    } else {
      await post(gatewayUrl, "invalid input", invalidBody(n));
    }
    if (refreshTokens.length > 20) refreshTokens.splice(0, refreshTokens.length - 20);
  }
}

/** Inputs the gateway must refuse: each kind in turn. */
function invalidBody(n: number): string {
  switch (n % 5) {
    case 0:
      return JSON.stringify({ query: EXCHANGE, variables: { input: { grantType: "JWT_BEARER" } } });
    case 1:
      return JSON.stringify({ query: EXCHANGE, variables: { input: { grantType: "JWT_BEARER", assertion: `not-a-jwt-${n}` } } });
    case 2:
      return JSON.stringify({ query: "mutation { createTokenWithIAM(input: {grantType: JWT_BEARER, assertion: \"x\"}) { accessTokn } }" });
    case 3:
      return "{\"query\": \"mutation {";
    default:
      return JSON.stringify({ query: `query { ${Array.from({ length: 200 }, (_, i) => `a${i}: gateway { version }`).join(" ")} }` });
  }
}

function readRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 102.4) / 10;
  } catch {
    return 0;
  }
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);

async function main() {
  // The emulator runs here, not embedded in the gateway: it keeps every token it issues, and the
  // RSS measured must be the gateway's own.
  const emulator = await startEmulator({ port: 0 });
  const env: Record<string, string> = {
    LOG_LEVEL: "info",
    SSO_OIDC_ENDPOINT: emulator.url,
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
  };
  if (RATE_LIMITS === "off") Object.assign(env, { RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0" });
  // One client address stands for many users: its per-caller upstream budget would measure itself, even with --rate-limits=on.
  Object.assign(env, { RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0" });
  const gateway = await startGateway({ env });
  const emulatorUrl = emulator.url;
  const pid = gateway.child.pid;
  const rss = { startMb: readRssMb(pid), peakMb: 0, endMb: 0, samples: [] as Array<{ s: number; mb: number }> };
  const started = Date.now();
  const sampler = setInterval(() => {
    const mb = readRssMb(pid);
    rss.peakMb = Math.max(rss.peakMb, mb);
    rss.samples.push({ s: Math.round((Date.now() - started) / 1000), mb });
  }, 1000);
  console.log(`soaking ${gateway.url} for ${DURATION_S} s with ${CONCURRENCY} concurrent clients (rate limits ${RATE_LIMITS}); RSS at start ${rss.startMb} MB`);

  const until = started + DURATION_S * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, worker) => clientLoop(worker, gateway.url, emulatorUrl, until)));
  const elapsedS = (Date.now() - started) / 1000;
  clearInterval(sampler);
  rss.endMb = readRssMb(pid);
  rss.peakMb = Math.max(rss.peakMb, rss.endMb);

  const upstreamCalls = ((await (await fetch(new URL("/_emulator/stats", emulatorUrl))).json()) as { calls: { CreateTokenWithIAM: number } }).calls.CreateTokenWithIAM;
  const alive = gateway.child.exitCode === null;
  const healthz = alive ? await fetch(new URL("/healthz", gateway.url)).then((response) => response.status, () => 0) : 0;
  const errorLogLines = gateway.logLines().filter((line) => Number(line.level) >= 50).length;
  const exitCode = await gateway.stop();
  await emulator.stop();

  const byKind = Object.fromEntries(Object.entries(tally.byKind).map(([kind, entry]) => {
    const sorted = [...entry.latenciesMs].sort((a, b) => a - b);
    return [kind, { sent: entry.sent, codes: entry.codes, latencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) } }];
  }));
  const fiveHundreds = Object.entries(tally.statuses).filter(([status]) => Number(status) >= 500).reduce((sum, [, count]) => sum + count, 0);
  const internalErrors = Object.values(tally.byKind).reduce((sum, entry) => sum + (entry.codes.INTERNAL_SERVER_ERROR ?? 0), 0);
  const clean = tally.lost === 0 && tally.sent === tally.answered && fiveHundreds === 0 && internalErrors === 0 && alive && healthz === 200;
  const summary = {
    when: new Date().toISOString(),
    durationSeconds: round(elapsedS),
    concurrency: CONCURRENCY,
    rateLimits: RATE_LIMITS,
    requests: { sent: tally.sent, answered: tally.answered, lost: tally.lost, perSecond: round(tally.sent / elapsedS), lostSamples: tally.lostSamples },
    statuses: tally.statuses,
    byKind,
    upstreamCreateTokenWithIAMCalls: upstreamCalls,
    gatewayRssMb: { start: rss.startMb, end: rss.endMb, peak: rss.peakMb, growth: round(rss.endMb - rss.startMb), samples: rss.samples },
    after: { processAlive: alive, healthzStatus: healthz, errorLogLines, exitCodeOnSigterm: exitCode },
    clean,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}soak.json`, `${JSON.stringify(summary, null, 2)}\n`);

  console.log(`\n${tally.sent} requests sent, ${tally.answered} answered, ${tally.lost} lost in ${summary.durationSeconds} s (${summary.requests.perSecond}/s)`);
  for (const [kind, entry] of Object.entries(byKind)) console.log(`  ${kind}: ${entry.sent} — ${JSON.stringify(entry.codes)} — p50 ${entry.latencyMs.p50} ms, p99 ${entry.latencyMs.p99} ms, max ${entry.latencyMs.max} ms`);
  console.log(`  HTTP statuses: ${JSON.stringify(tally.statuses)}; upstream CreateTokenWithIAM calls: ${upstreamCalls}`);
  console.log(`  gateway RSS: start ${rss.startMb} MB, end ${rss.endMb} MB, peak ${rss.peakMb} MB (growth ${summary.gatewayRssMb.growth} MB)`);
  console.log(`  afterwards: process ${alive ? "alive" : "DEAD"}, /healthz ${healthz}, ${errorLogLines} error-level log lines, exit ${exitCode} on SIGTERM`);
  console.log(`wrote bench/results/soak.json — ${clean ? "CLEAN" : "NOT CLEAN"}`);
  process.exitCode = clean ? 0 : 1;
}

const round = (value: number) => Math.round(value * 10) / 10;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { METHODS, request as httpRequest } from "node:http";
import type { FuzzCase, HttpCase } from "./fuzz-arbitraries.js";
import { judgeGraphQLRequest, type OracleVerdict } from "./fuzz-oracle.js";

/**
 * Sends one fuzz case to a running gateway and checks the properties every answer must have:
 * an answer at all (no dropped connection, no hang), never HTTP 5xx, never INTERNAL_SERVER_ERROR
 * (whatever the status: it means the gateway itself failed on the input), and never an upstream call
 * the contract forbids (counted by the emulator: the fuzzer's `[loader, calls]`). Cases run one
 * at a time so each upstream-call delta belongs to exactly one case, each on a fresh connection so
 * a reset can only be that case's (a reused keep-alive socket the server just closed would race).
 */

/** The gateway under fuzz: rate limits off (one client sends everything); info level (the harness waits for "gateway ready"). */
export const FUZZ_GATEWAY_ENV: Record<string, string> = { LOG_LEVEL: "info", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0" };

/** An answer slower than this is a hang. */
const HANG_MS = 15_000;
/** The gateway's default MAX_BODY_BYTES (the fuzzed gateway keeps it). */
const MAX_BODY_BYTES = 65_536;

export interface FuzzTarget {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:PORT/graphql. */
  url: string;
  emulatorUrl: string;
}

export interface CaseOutcome {
  kind: FuzzCase["kind"];
  label: string;
  /**
   * HTTP status; "client-refused" when Node itself would not send the request (e.g. JSON.stringify
   * of a too-deep value); "closed-by-http-parser" when the server's HTTP parser refused an unknown method;
   * "closed-before-oversized-body" when the socket closed while a body over MAX_BODY_BYTES was still being sent.
   */
  status: number | "client-refused" | "closed-by-http-parser" | "closed-before-oversized-body";
  /** extensions.code of the first GraphQL error, fastify's `code`, or "ok" / "-". */
  code: string;
  upstreamCalls: number;
  verdict: OracleVerdict;
  /** Wall-clock time of the case: oracle, request and the upstream-call count. */
  durationMs: number;
  /** Set when a property failed. */
  problem?: string;
}

export interface FuzzRunner {
  run(fuzzCase: FuzzCase): Promise<CaseOutcome>;
  close(): void;
}

export async function createFuzzRunner(target: FuzzTarget): Promise<FuzzRunner> {
  const graphqlUrl = new URL(target.url);
  let lastCalls = await upstreamCalls(target.emulatorUrl);

  return {
    async run(fuzzCase) {
      const started = performance.now();
      const verdict = verdictFor(fuzzCase);
      const answer = fuzzCase.kind === "http" ? await sendRaw(graphqlUrl, fuzzCase) : await sendGraphQL(graphqlUrl, fuzzCase.body);
      const calls = await upstreamCalls(target.emulatorUrl);
      const delta = calls - lastCalls;
      lastCalls = calls;
      const outcome: CaseOutcome = { kind: fuzzCase.kind, label: fuzzCase.label, status: answer.status, code: answer.code, upstreamCalls: delta, verdict, durationMs: performance.now() - started };
      if (answer.error) outcome.problem = `no answer: ${answer.error}`;
      else if (typeof answer.status === "number" && answer.status >= 500) outcome.problem = `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`;
      else if (answer.code === "INTERNAL_SERVER_ERROR") outcome.problem = `INTERNAL_SERVER_ERROR (the gateway's own fault) with HTTP ${answer.status}: ${answer.text.slice(0, 300)}`;
      else if (verdict.mustNotCallUpstream && delta > 0) outcome.problem = `${delta} upstream call(s) for input that cannot be valid (HTTP ${answer.status}, ${answer.code})`;
      else if (delta > verdict.maxUpstreamCalls) outcome.problem = `${delta} upstream calls, at most ${verdict.maxUpstreamCalls} allowed`;
      return outcome;
    },
    close: () => undefined,
  };
}

/** What the oracle says about the request the case will make. Raw HTTP: only a JSON POST to /graphql can run an operation. */
export function verdictFor(fuzzCase: FuzzCase): OracleVerdict {
  if (fuzzCase.kind !== "http") return judgeGraphQLRequest(fuzzCase.body);
  const noCall: OracleVerdict = { mustNotCallUpstream: true, maxUpstreamCalls: 0 };
  if (fuzzCase.method !== "POST" || fuzzCase.body === undefined) return noCall;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fuzzCase.body.toString("utf8"));
  } catch {
    return noCall;
  }
  const requests = Array.isArray(parsed) ? parsed : [parsed];
  let maxUpstreamCalls = 0;
  for (const item of requests) {
    if (typeof item === "object" && item !== null) maxUpstreamCalls += judgeGraphQLRequest(item as Record<string, unknown>).maxUpstreamCalls;
  }
  return { mustNotCallUpstream: maxUpstreamCalls === 0, maxUpstreamCalls };
}

interface Answer {
  status: CaseOutcome["status"];
  code: string;
  text: string;
  error?: string;
}

function sendGraphQL(url: URL, body: unknown): Promise<Answer> {
  let payload: Buffer;
  try {
    payload = Buffer.from(JSON.stringify(body));
  } catch (error) {
    return Promise.resolve({ status: "client-refused", code: "-", text: String(error) });
  }
  return send(url, "POST", url.pathname, { "content-type": "application/json", accept: "application/json" }, payload);
}

function sendRaw(url: URL, fuzzCase: HttpCase): Promise<Answer> {
  return send(url, fuzzCase.method, fuzzCase.path, fuzzCase.headers, fuzzCase.body);
}

function send(url: URL, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: Answer) => {
      if (!settled) {
        settled = true;
        resolve(answer);
      }
    };
    let req;
    try {
      req = httpRequest({ agent: false, host: url.hostname, port: url.port, method, path, headers: body ? { ...headers, "content-length": String(body.length) } : headers, timeout: HANG_MS });
    } catch (error) {
      // Node refuses to send it (invalid method token, path or header): not the gateway's concern.
      finish({ status: "client-refused", code: "-", text: String(error) });
      return;
    }
    req.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        finish({ status: response.statusCode ?? 0, code: codeOf(text, response.statusCode ?? 0), text });
      });
      response.on("error", (error) => finish({ status: response.statusCode ?? 0, code: "-", text: "", error: `response: ${error.message}` }));
    });
    req.on("timeout", () => {
      req.destroy(new Error(`no answer within ${HANG_MS} ms`));
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (!METHODS.includes(method) && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
        // Node's HTTP parser knows no such method: it writes a 400 and closes the socket at once, and a
        // client still sending its body sees a reset before it can read the 400. That is the refusal.
        finish({ status: "closed-by-http-parser", code: "-", text: "" });
        return;
      }
      if (body !== undefined && body.length > MAX_BODY_BYTES && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
        // A body over the limit is refused (413, or 415 without a JSON content type) before it is
        // read; Node then closes the socket, and a client still writing megabytes may see the reset
        // before the answer. Not reading an oversized body is the refusal.
        finish({ status: "closed-before-oversized-body", code: "-", text: "" });
        return;
      }
      finish({ status: 0, code: "-", text: "", error: `${error.code ?? error.name}: ${error.message}` });
    });
    req.end(body);
  });
}

function codeOf(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }>; code?: unknown; data?: unknown };
    const code = body.errors?.[0]?.extensions?.code ?? body.code;
    if (typeof code === "string") return code;
    if (body.data !== undefined && body.data !== null) return "ok";
  } catch {
    // Not JSON (a landing page, an empty 204): no code.
  }
  return status < 400 ? "ok" : "-";
}

async function upstreamCalls(emulatorUrl: string): Promise<number> {
  const response = await fetch(new URL("/_emulator/stats", emulatorUrl));
  const stats = (await response.json()) as { calls: { CreateTokenWithIAM: number } };
  return stats.calls.CreateTokenWithIAM;
}

/** Counts of outcomes, for the test's assertions and the fuzz script's summary. */
export class FuzzTally {
  readonly cases = { total: 0, byKind: {} as Record<string, number>, byLabel: {} as Record<string, number> };
  /** Per case family: total and slowest case duration, ms. */
  readonly durations: Record<string, { totalMs: number; maxMs: number }> = {};
  readonly statuses: Record<string, number> = {};
  readonly codes: Record<string, number> = {};
  /** Upstream calls, split by the oracle's verdict: `mustNotCall.calls` must stay 0. */
  readonly upstream = { mustNotCall: { cases: 0, calls: 0 }, mayCall: { cases: 0, calls: 0 } };
  readonly problems: Array<{ label: string; problem: string }> = [];

  add(outcome: CaseOutcome): void {
    const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
    this.cases.total++;
    bump(this.cases.byKind, outcome.kind);
    const label = `${outcome.kind}: ${outcome.label}`;
    bump(this.cases.byLabel, label);
    const duration = (this.durations[label] ??= { totalMs: 0, maxMs: 0 });
    duration.totalMs += outcome.durationMs;
    duration.maxMs = Math.max(duration.maxMs, outcome.durationMs);
    bump(this.statuses, String(outcome.status));
    bump(this.codes, outcome.code);
    const bucket = outcome.verdict.mustNotCallUpstream ? this.upstream.mustNotCall : this.upstream.mayCall;
    bucket.cases++;
    bucket.calls += outcome.upstreamCalls;
    if (outcome.problem) this.problems.push({ label: `${outcome.kind}: ${outcome.label}`, problem: outcome.problem });
  }
}

import { Agent, request } from "node:http";
import autocannon from "autocannon";

/**
 * Load generation. Throughput runs use autocannon's programmatic API in the bench process; the
 * concurrency-1 latency probe uses a plain keep-alive http client and hrtime, because autocannon's
 * latency histogram has 1 ms resolution and the target there is 0.5 ms.
 */

export interface LoadResult {
  requestsPerSecond: number;
  /** Responses that were HTTP 2xx without GraphQL errors, per second. */
  successesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  successes: number;
  failures: number;
  durationSeconds: number;
  /** A sample of one failed response body (errors only), to explain a failure column. */
  sampleFailure?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds to run; or stop after `amount` requests. */
  durationSeconds?: number;
  amount?: number;
  /** The JSON body of each request, called once per request (rotate distinct grants here). */
  nextBody: () => string;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { pathname, origin } = new URL(options.url);
  let successes = 0;
  let failures = 0;
  let sampleFailure: string | undefined;
  const result = await autocannon({
    url: origin,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.durationSeconds ?? 5 } : { amount: options.amount }),
    timeout: 30,
    requests: [
      {
        method: "POST",
        path: pathname,
        headers: { "content-type": "application/json" },
        setupRequest: (req) => ({ ...req, body: options.nextBody() }),
        onResponse: (status, body) => {
          // A GraphQL answer with "errors" is a failure even with HTTP 200.
          if (status >= 200 && status < 300 && !body.includes('"errors"')) successes++;
          else {
            failures++;
            sampleFailure ??= body.slice(0, 400);
          }
        },
      },
    ],
  });
  const durationSeconds = result.duration;
  const requests = result.requests.total;
  return {
    requestsPerSecond: round(requests / durationSeconds),
    successesPerSecond: round(successes / durationSeconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    successes,
    failures: failures + result.errors + result.timeouts,
    durationSeconds,
    ...(sampleFailure === undefined ? {} : { sampleFailure }),
  };
}

/**
 * The same load spread over several servers (replicas behind a connection-level load balancer): one
 * autocannon per URL, all at once, with `connections` split evenly (a keep-alive connection stays on
 * the replica it was opened to, as behind an L4 balancer or a Kubernetes Service) and one shared
 * `nextBody` (unless given one per URL), so a pool of distinct bodies is still used once across all of them. Rates and counts
 * add up; p50/p99 are the slowest replica's (autocannon reports percentiles, not mergeable histograms).
 */
export async function runLoadSpread(options: Omit<LoadOptions, "url" | "amount" | "nextBody"> & {
  urls: readonly string[];
  /** Stop each URL's load after this many requests instead of after durationSeconds. */
  amountPerUrl?: number;
  /** One function shared by every URL, or one per URL (e.g. each replica sends the whole pool once). */
  nextBody: (() => string) | ReadonlyArray<() => string>;
}): Promise<LoadResult> {
  const { urls, connections } = options;
  const results = await Promise.all(urls.map((url, i) => runLoad({
    url,
    // 32 over 3: 11, 11, 10.
    connections: Math.floor(connections / urls.length) + (i < connections % urls.length ? 1 : 0),
    ...(options.amountPerUrl === undefined ? { durationSeconds: options.durationSeconds ?? 5 } : { amount: options.amountPerUrl }),
    nextBody: typeof options.nextBody === "function" ? options.nextBody : options.nextBody[i]!,
  })));
  // Amount runs end at different moments: the rate is over the longest one (the load's wall time).
  const durationSeconds = Math.max(...results.map((r) => r.durationSeconds));
  const sum = (pick: (r: LoadResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  const requests = sum((r) => r.requests);
  const successes = sum((r) => r.successes);
  const sampleFailure = results.find((r) => r.sampleFailure !== undefined)?.sampleFailure;
  return {
    requestsPerSecond: round(requests / durationSeconds),
    successesPerSecond: round(successes / durationSeconds),
    p50Ms: Math.max(...results.map((r) => r.p50Ms)),
    p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    requests,
    successes,
    failures: sum((r) => r.failures),
    durationSeconds,
    ...(sampleFailure === undefined ? {} : { sampleFailure }),
  };
}

export interface SequentialResult {
  /** How long it actually ran (shorter than asked when the bodies ran out). */
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failures: number;
}

/** One request at a time for `durationSeconds` (or until nextBody has none left), timing each with hrtime (sub-millisecond). */
export async function runSequential(url: string, durationSeconds: number, nextBody: () => string | undefined): Promise<SequentialResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const latencies: number[] = [];
  let failures = 0;
  const runStartedAt = performance.now();
  const deadline = runStartedAt + durationSeconds * 1000;
  try {
    while (performance.now() < deadline) {
      const body = nextBody();
      if (body === undefined) break;
      const startedAt = process.hrtime.bigint();
      const { status, text } = await post(agent, target, body);
      latencies.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
      if (status !== 200 || text.includes('"errors"')) failures++;
    }
  } finally {
    agent.destroy();
  }
  return { ...percentiles(latencies), requests: latencies.length, failures, seconds: (performance.now() - runStartedAt) / 1000 };
}

/** One POST on its own connection: the answer's status and text (e.g. to size a scenario's answer). */
export async function postOnce(url: string, body: string): Promise<{ status: number; text: string }> {
  const agent = new Agent({ keepAlive: false });
  try {
    return await post(agent, new URL(url), body);
  } finally {
    agent.destroy();
  }
}

function post(agent: Agent, target: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => { text += chunk; }).on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export function percentiles(latencies: number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50Ms: round(at(0.5), 3), p99Ms: round(at(0.99), 3) };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

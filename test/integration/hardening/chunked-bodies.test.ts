import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * A request body sent with Transfer-Encoding: chunked in one-byte chunks (6 bytes on the wire per byte
 * of body) costs Node's HTTP parser one JS callback and one Buffer per chunk, before any fastify hook,
 * limit or caller turn sees it, and whether or not the request is then refused: an attacker review
 * measured ~70–90 ms of the gateway's CPU per 60 KB body (~60,000 chunks), within the per-caller rate
 * limit on /graphql, and with no limit at all on a path no route serves (answered 404 before its body
 * is read, but the parser still parses every chunk). On a real gateway process with its embedded
 * emulator: CPU time from /proc/<pid>/stat.
 */

let gateway: GatewayProcess;
let port: number;

beforeAll(async () => {
  gateway = await startGateway({ env: { HOST: "127.0.0.1" } });
  port = Number(new URL(gateway.url).port);
});
afterAll(async () => {
  await gateway?.stop();
});

/** The gateway process's user + system CPU time so far (ms). */
function gatewayCpuMs(): number {
  const fields = readFileSync(`/proc/${gateway.child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `payload` framed as chunks of `size` bytes. */
function chunked(payload: string, size: number): string {
  const parts: string[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const chunk = payload.slice(at, at + size);
    parts.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  }
  parts.push("0\r\n\r\n");
  return parts.join("");
}

const BODY = JSON.stringify({ query: "{ __typename }", variables: { pad: "y".repeat(60_000) } });

/** `count` requests pipelined on one connection from `localAddress`; the status line of each answer. */
function pipelined(localAddress: string, path: string, count: number): Promise<string[]> {
  const wire = `POST ${path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(BODY, 1)}`;
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress });
    let received = "";
    const statuses = () => received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    socket.on("connect", () => {
      for (let index = 0; index < count; index++) socket.write(wire);
    });
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      received += data;
      if (statuses().length >= count) socket.end();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(statuses()));
  });
}

/** GET /healthz from another caller: its latency (ms). */
function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ host: "127.0.0.1", port, path: "/healthz", localAddress: "127.0.0.3", agent: false }, (response) => {
      response.resume();
      response.on("end", () => resolve(performance.now() - started));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Runs `attack` while another caller probes /healthz every 10 ms: the attack's statuses, the gateway's CPU per request, the probes' worst latency. */
async function measure(requests: number, attack: () => Promise<string[][]>) {
  const cpuBefore = gatewayCpuMs();
  let finished = false;
  const attacking = attack().finally(() => { finished = true; });
  const latencies: number[] = [];
  while (!finished) {
    latencies.push(await probe());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const statuses = (await attacking).flat();
  const cpuPerRequestMs = (gatewayCpuMs() - cpuBefore) / requests;
  const worstProbeMs = Math.max(...latencies);
  console.log({ statuses: Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((t) => t === s).length])), cpuPerRequestMs, worstProbeMs, probes: latencies.length });
  return { statuses, cpuPerRequestMs, worstProbeMs };
}

describe("request bodies in tiny chunks", () => {
  it("POST /graphql within the caller's allowance: 20 bodies of 60 KB in 1-byte chunks cost the gateway under 10 ms of CPU each", async () => {
    // 2 connections × 10 pipelined requests: 20 requests, within RATE_LIMIT_CALLER_BURST (40).
    const { statuses, cpuPerRequestMs } = await measure(20, () => Promise.all([pipelined("127.0.0.2", "/graphql", 10), pipelined("127.0.0.2", "/graphql", 10)]));
    expect(statuses).not.toContain("HTTP/1.1 429");
    expect(cpuPerRequestMs).toBeLessThan(10);
  }, 120_000);

  it("POST to a path no route serves (no rate limit): 60 bodies in 1-byte chunks cost the gateway under 10 ms of CPU each", async () => {
    const { statuses, cpuPerRequestMs } = await measure(60, () => Promise.all([pipelined("127.0.0.4", "/nope", 30), pipelined("127.0.0.4", "/nope", 30)]));
    expect(statuses.length).toBeGreaterThan(0);
    expect(cpuPerRequestMs).toBeLessThan(10);
  }, 120_000);

  it("a chunked body is answered 411 LENGTH_REQUIRED (GraphQL-shaped), and the same operation with a Content-Length runs", async () => {
    const chunkedAnswer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/graphql", method: "POST", localAddress: "127.0.0.5", agent: false, headers: { "content-type": "application/json" } }, (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => { body += chunk; });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      // No Content-Length: Node sends the body chunked.
      req.write(BODY.slice(0, 100));
      req.end(BODY.slice(100));
    });
    expect(chunkedAnswer.status).toBe(411);
    expect(JSON.parse(chunkedAnswer.body).errors[0].extensions.code).toBe("LENGTH_REQUIRED");
    const framed = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    expect([framed.status, await framed.json()]).toEqual([200, { data: { __typename: "Query" } }]);
  });
});

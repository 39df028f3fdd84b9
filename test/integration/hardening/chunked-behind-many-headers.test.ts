import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Attack on 4903295/f2051a1: the 411 refusal reads request.headers["transfer-encoding"], which Node fills with the first
 * 1,000 header pairs only. Put 1,000 harmless headers before Transfer-Encoding and the refusal never fires.
 *
 * (Copied from test/integration/hardening/chunked-bodies.test.ts.) A request body sent with Transfer-Encoding: chunked in one-byte chunks (6 bytes on the wire per byte
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

/** 1,000 headers: Node keeps only the first 1,000 (maxHeadersCount 2000 entries) in request.headers, so the Transfer-Encoding after them is not there to see, yet llhttp still frames the body as chunked. */
const JUNK = Array.from({ length: 1000 }, (_, i) => `x${i}:a\r\n`).join("");
const BODY = JSON.stringify({ query: "{ __typename }", variables: { pad: "y".repeat(60_000) } });

/** `count` requests pipelined on one connection from `localAddress`; the status line of each answer. */
function pipelined(localAddress: string, path: string, count: number): Promise<string[]> {
  const wire = `POST ${path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n${JUNK}Transfer-Encoding: chunked\r\n\r\n${chunked(BODY, 1)}`;
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

describe("chunked bodies behind 1,000 headers", () => {
  it("POST to a path no route serves: 60 bodies in 1-byte chunks, Transfer-Encoding after 1,000 other headers, cost under 10 ms of CPU each (or are refused 411)", async () => {
    const { statuses, cpuPerRequestMs } = await measure(60, () => Promise.all([pipelined("127.0.0.4", "/nope", 30), pipelined("127.0.0.4", "/nope", 30)]));
    expect(statuses).not.toContain("HTTP/1.1 404");
    expect(cpuPerRequestMs).toBeLessThan(10);
  }, 120_000);

  it("POST /graphql: a chunked body behind 1,000 headers is refused 411", async () => {
    const statuses = await pipelined("127.0.0.2", "/graphql", 1);
    expect(statuses).toEqual(["HTTP/1.1 411"]);
  }, 60_000);
});

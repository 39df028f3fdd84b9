import type { Socket } from "node:net";
import type { Counter } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestEmulator, type TestEmulator } from "../../support/emulator-harness.js";
import { startHardenedGateway, type HardenedGateway } from "./hardening-fixture.js";
import { closedByPeer, httpFrom, idleSocketFrom, postJsonFrom } from "./from-address.js";

/**
 * Connection bounds (MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, HEADERS_TIMEOUT_MS): idle and
 * slow-header sockets cannot exhaust the process, and one address cannot take the whole total cap;
 * and one caller's requests are read in turns (MAX_PARSING_PER_CALLER).
 */

let emulator: TestEmulator;
const gateways: HardenedGateway[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
});
afterAll(async () => {
  await emulator?.stop();
});

async function gatewayWith(env: Record<string, string>): Promise<{ gateway: HardenedGateway; port: number }> {
  const gateway = await startHardenedGateway(emulator, env);
  gateways.push(gateway);
  return { gateway, port: Number(new URL(gateway.url).port) };
}

async function openIdle(from: string, port: number, count: number): Promise<Socket[]> {
  const opened: Socket[] = [];
  for (let i = 0; i < count; i += 1) {
    const socket = await idleSocketFrom(from, port);
    socket.on("error", () => undefined);
    sockets.push(socket);
    opened.push(socket);
  }
  return opened;
}

/** A whole HTTP/1.1 request on an already open socket; resolves with the status line. */
function requestOn(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      received += chunk;
      if (received.includes("\r\n")) resolve(received.split("\r\n")[0] as string);
    });
    socket.once("close", () => reject(new Error(`closed before an answer; got ${JSON.stringify(received)}`)));
    socket.write("GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n");
  });
}

describe("MAX_CONNECTIONS_PER_ADDRESS", () => {
  it("closes the connections one address opens beyond the cap, keeps the first ones, and still serves another address", async () => {
    const { gateway, port } = await gatewayWith({ MAX_CONNECTIONS_PER_ADDRESS: "3", HEADERS_TIMEOUT_MS: "60000" });
    const opened = await openIdle("127.0.0.2", port, 5);
    await Promise.all(opened.slice(3).map(closedByPeer));
    expect(opened.slice(3).every((socket) => socket.destroyed || socket.readableEnded)).toBe(true);

    const other = await httpFrom("127.0.0.3", gateway.origin + "/healthz");
    expect(other.status).toBe(200);
    expect(await requestOn(opened[0] as Socket)).toBe("HTTP/1.1 200 OK");
  });

  it("exempts the proxies listed in TRUST_PROXY: all their connections are kept", async () => {
    const { gateway, port } = await gatewayWith({ MAX_CONNECTIONS_PER_ADDRESS: "2", HEADERS_TIMEOUT_MS: "60000", TRUST_PROXY: "127.0.0.2/32,10.0.0.0/8" });
    const fromProxy = await openIdle("127.0.0.2", port, 4);
    const fromCaller = await openIdle("127.0.0.3", port, 3);
    await closedByPeer(fromCaller[2] as Socket);
    expect(await Promise.all(fromProxy.map(requestOn))).toEqual(Array(4).fill("HTTP/1.1 200 OK"));
    expect((await httpFrom("127.0.0.4", gateway.origin + "/healthz")).status).toBe(200);
  });

  it("is off behind a hop-count TRUST_PROXY (every connection comes from the proxy), and at 0", async () => {
    const settings: Array<Record<string, string>> = [{ TRUST_PROXY: "1" }, { MAX_CONNECTIONS_PER_ADDRESS: "0" }];
    for (const env of settings) {
      const { port } = await gatewayWith({ MAX_CONNECTIONS_PER_ADDRESS: "2", HEADERS_TIMEOUT_MS: "60000", ...env });
      const opened = await openIdle("127.0.0.2", port, 4);
      expect(await requestOn(opened[3] as Socket)).toBe("HTTP/1.1 200 OK");
    }
  });
});

describe("MAX_CONNECTIONS", () => {
  it("closes connections over the total cap, whichever address they come from", async () => {
    const { port } = await gatewayWith({ MAX_CONNECTIONS: "4", MAX_CONNECTIONS_PER_ADDRESS: "0", HEADERS_TIMEOUT_MS: "60000" });
    const kept = [...(await openIdle("127.0.0.2", port, 2)), ...(await openIdle("127.0.0.3", port, 2))];
    const [extra] = await openIdle("127.0.0.4", port, 1);
    await closedByPeer(extra as Socket);
    expect(await requestOn(kept[3] as Socket)).toBe("HTTP/1.1 200 OK");
  });
});

describe("HEADERS_TIMEOUT_MS", () => {
  it("closes a connection whose headers never finish", async () => {
    const { gateway, port } = await gatewayWith({ HEADERS_TIMEOUT_MS: "300" });
    const [slow] = await openIdle("127.0.0.2", port, 1);
    (slow as Socket).write("GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Slow: ");
    await closedByPeer(slow as Socket);
    expect((slow as Socket).destroyed || (slow as Socket).readableEnded).toBe(true);
    expect((await httpFrom("127.0.0.2", gateway.origin + "/healthz")).status).toBe(200);
  });

  it("sets node's timeouts from it: headers, keep-alive, and a request timeout above them", async () => {
    const { gateway } = await gatewayWith({ HEADERS_TIMEOUT_MS: "4000" });
    const response = await httpFrom("127.0.0.2", gateway.origin + "/healthz", { headers: { connection: "keep-alive" } });
    expect(response.headers["keep-alive"]).toBe("timeout=4");
  });
});

/** The caller rate limit off (turns, not allowances); bodies may take their time. */
// Pipelining unbounded: the turns' queue filled from one connection (MAX_PIPELINED_REQUESTS has its own test, pipelining.test.ts).
const TURNS_ONLY = { RATE_LIMIT_CALLER_PER_SECOND: "0", HEADERS_TIMEOUT_MS: "60000", MAX_PIPELINED_REQUESTS: "0" };
const TYPENAME_POST = (() => {
  const body = JSON.stringify({ query: "{ __typename }" });
  return `POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
})();

/**
 * Writes `requests` (pipelined) in one write from 127.0.0.2 and returns the statuses answered until
 * the gateway closes the connection (as fastify does after a refused body). Read in one poll, all
 * reach the turns before any is given back.
 */
async function pipelinedStatuses(port: number, requests: string): Promise<string[]> {
  const [socket] = await openIdle("127.0.0.2", port, 1);
  let received = "";
  (socket as Socket).setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
  (socket as Socket).write(requests);
  await closedByPeer(socket as Socket);
  expect(received).toContain('"extensions":{"code":"RATE_LIMITED","retryable":true,"retryAfterSeconds":1}');
  return [...received.matchAll(/HTTP\/1.1 (\d{3}) /g)].map((match) => match[1] as string);
}

async function counterValue(counter: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  return values.find((value) => Object.entries(labels).every(([name, label]) => value.labels[name] === label))?.value ?? 0;
}

/**
 * MAX_PARSING_PER_CALLER through the gateway's own server and configuration (the scheduler, turn by
 * turn, is test/unit/server/caller-turns.test.ts): slow uploads hold no turn, and at the default a
 * caller's bodies beyond 4 parsing and 1,024 (or 16 × 4 × MAX_BODY_BYTES) waiting are refused 429,
 * counted, the rest answered.
 */
describe("MAX_PARSING_PER_CALLER (default 4)", () => {
  it("holds no turn for a body still uploading: a caller's four slow uploads do not delay its fifth request", async () => {
    const { gateway, port } = await gatewayWith(TURNS_ONLY);
    expect(gateway.config.connections.maxParsingPerCaller).toBe(4);
    const slow = await openIdle("127.0.0.2", port, 4);
    for (const socket of slow) socket.write("POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"query\":");
    const answer = await postJsonFrom("127.0.0.2", gateway.url, { query: "{ __typename }" });
    expect([answer.status, answer.body]).toEqual([200, '{"data":{"__typename":"Query"}}\n']);
  });

  it("answers 4 + 1,024 pipelined requests of one caller at once and refuses the next 429 RATE_LIMITED, counted", async () => {
    const { gateway, port } = await gatewayWith(TURNS_ONLY);
    const statuses = await pipelinedStatuses(port, TYPENAME_POST.repeat(4 + 1024 + 1));
    expect(statuses).toEqual([...Array(4 + 1024).fill("200"), "429"]);
    expect(await counterValue(gateway.metrics.callerQueued)).toBe(1024);
    expect(await counterValue(gateway.metrics.rejections, { reason: "caller_queue_full" })).toBe(1);
    // Another caller was never in that line.
    expect((await postJsonFrom("127.0.0.3", gateway.url, { query: "{ __typename }" })).status).toBe(200);
  });

  it("takes GET /graphql in the same turns: 4 + 1,024 pipelined GETs of one caller answered, the next refused 429, /healthz never in line", async () => {
    const { gateway, port } = await gatewayWith(TURNS_ONLY);
    const get = "GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nhost: gateway\r\napollo-require-preflight: 1\r\n\r\n";
    const [socket] = await openIdle("127.0.0.2", port, 1);
    let received = "";
    (socket as Socket).setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
    // Read in one poll (~80 KB, two reads at most), so all reach the turns before any is given back; /healthz last.
    (socket as Socket).write(get.repeat(4 + 1024 + 1) + "GET /healthz HTTP/1.1\r\nhost: gateway\r\n\r\n");
    const statuses = () => [...received.matchAll(/HTTP\/1.1 (\d{3}) /g)].map((match) => match[1] as string);
    await vi.waitFor(() => expect(statuses()).toHaveLength(4 + 1024 + 2), { timeout: 15_000 });
    expect(statuses()).toEqual([...Array(4 + 1024).fill("200"), "429", "200"]);
    expect(received).toContain('"extensions":{"code":"RATE_LIMITED","retryable":true,"retryAfterSeconds":1}');
    expect(await counterValue(gateway.metrics.callerQueued)).toBe(1024);
    expect(await counterValue(gateway.metrics.rejections, { reason: "caller_queue_full" })).toBe(1);
  });

  it("refuses a body that would take the caller's waiting bodies past 16 × MAX_PARSING_PER_CALLER × MAX_BODY_BYTES", async () => {
    const { gateway, port } = await gatewayWith({ ...TURNS_ONLY, MAX_PARSING_PER_CALLER: "1", MAX_BODY_BYTES: "1024" });
    const body = JSON.stringify({ query: `{ __typename } #${"p".repeat(970)}` });
    expect(body.length).toBeLessThanOrEqual(1024);
    const waitingBodies = Math.floor((16 * 1 * 1024) / body.length); // 16 of 1,000 characters in 16,384
    const post = `POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    const statuses = await pipelinedStatuses(port, post.repeat(1 + waitingBodies + 1));
    expect(statuses).toEqual([...Array(1 + waitingBodies).fill("200"), "429"]);
    expect(await counterValue(gateway.metrics.rejections, { reason: "caller_queue_full" })).toBe(1);
  });
});

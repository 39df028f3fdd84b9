import { Agent, request } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { registerCallerFairShare, type CallerFairShare } from "../../../src/server/caller-fair-share.js";

/**
 * MAX_READING_PER_CALLER (caller-fair-share.ts) on a real fastify server and real sockets: one
 * caller's burst is read a few requests per turn of the event loop, another caller's request is
 * answered in between, a request waiting on I/O holds no turn, and a turn comes back however its
 * request ends.
 */

const A = "127.0.0.2";
const B = "127.0.0.3";

let app: FastifyInstance | undefined;
const agents: Agent[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const agent of agents.splice(0)) agent.destroy();
  await app?.close();
  app = undefined;
});

interface TestServer {
  fairShare: CallerFairShare;
  port: number;
}

async function serve(maxReading: number, routes: (app: FastifyInstance) => void, options: { bodyLimit?: number; onArrival?: (ip: string, url: string) => void } = {}): Promise<TestServer> {
  app = Fastify({ bodyLimit: options.bodyLimit ?? 1_048_576 });
  // Registered first: sees every request as its headers arrive, before its turn.
  app.addHook("onRequest", async (req) => options.onArrival?.(req.ip, req.url));
  const fairShare = registerCallerFairShare(app, { maxReading, applies: (req) => req.url === "/work" });
  routes(app);
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { fairShare, port: (app.server.address() as AddressInfo).port };
}

function post(port: number, from: string, body = "{}"): Promise<{ status: number; text: string }> {
  const agent = new Agent({ keepAlive: false });
  agents.push(agent);
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: "127.0.0.1", port, path: "/work", method: "POST", localAddress: from, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A request whose headers promise a body that never comes (its turn is held while it is read). */
function unfinishedRequest(port: number, from: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress: from }, () => {
      socket.write("POST /work HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{");
      resolve(socket);
    });
    socket.on("error", () => undefined);
    sockets.push(socket);
  });
}

const WORK = "POST /work HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

/** An open keep-alive connection from `from`, answered once (GET /warm), that sends raw requests and reads their answers. */
async function openConnection(port: number, from: string): Promise<{ send(raw: string): Promise<string> }> {
  const socket = connect({ host: "127.0.0.1", port, localAddress: from });
  sockets.push(socket);
  let received = "";
  let waiting: ((answer: string) => void) | undefined;
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    received += chunk;
    const headersEnd = received.indexOf("\r\n\r\n");
    const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? Number.NaN);
    if (headersEnd >= 0 && received.length >= headersEnd + 4 + length) {
      const answer = received;
      received = "";
      waiting?.(answer);
    }
  });
  const send = (raw: string) => new Promise<string>((resolve) => {
    waiting = resolve;
    socket.write(raw);
  });
  await new Promise((resolve) => socket.once("connect", resolve));
  expect(await send("GET /warm HTTP/1.1\r\nhost: x\r\n\r\n")).toMatch(/^HTTP\/1.1 200/);
  return { send };
}

function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the CPU a costly refusal takes */ }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("MAX_READING_PER_CALLER", () => {
  it("answers another caller while one caller's burst of costly requests is read one per turn", async () => {
    const order: string[] = [];
    let arrivedFromA = 0;
    let sendB: () => void = () => undefined;
    const { port, fairShare } = await serve(1, (app) => {
      app.get("/warm", async () => ({ ok: true }));
      app.post("/work", async (req) => {
        // Each of A's requests holds the event loop 15 ms, as a 64 KB body of thousands of keys does on a slow host.
        if (req.ip === A) busyFor(15);
        order.push(req.ip === A ? "A" : "B");
        return { ok: true };
      });
    }, { onArrival: (ip, url) => { if (ip === A && url === "/work" && ++arrivedFromA === 10) sendB(); } });

    // Connections open and answered once first: node accepts one new connection per turn of the
    // event loop, so a burst on new connections would arrive in turns anyway. On open ones, all
    // ten requests are read in the same poll.
    const connectionsOfA = await Promise.all(Array.from({ length: 10 }, () => openConnection(port, A)));
    const connectionOfB = await openConnection(port, B);
    const answeredB = new Promise<string>((resolve) => {
      sendB = () => void connectionOfB.send(WORK).then(resolve);
    });
    const burst = connectionsOfA.map((connection) => connection.send(WORK));
    const answers = await Promise.all([...burst, answeredB]);

    expect(answers.every((answer) => answer.startsWith("HTTP/1.1 200"))).toBe(true);
    // B's request came once all ten of A's had arrived; it was answered long before A's tenth.
    expect(order.filter((caller) => caller === "A")).toHaveLength(10);
    expect(order.indexOf("B")).toBeLessThan(5);
    await until(() => fairShare.state(A).reading === 0, "A's last turn to come back");
    expect(fairShare.state(A)).toEqual({ reading: 0, waiting: 0 });
  });

  it("reads no more than maxReading of one caller's requests at once, and every one is answered", async () => {
    let arrivedFromA = 0;
    const { port, fairShare } = await serve(2, (app) => app.post("/work", async () => ({ ok: true })), { onArrival: (ip) => { if (ip === A) arrivedFromA += 1; } });
    // Two requests whose bodies never finish hold both of A's turns.
    await unfinishedRequest(port, A);
    await unfinishedRequest(port, A);
    await until(() => arrivedFromA === 2, "both unfinished requests to arrive");
    const third = post(port, A);
    await until(() => fairShare.state(A).waiting === 1, "the third request to wait");
    expect(fairShare.state(A)).toEqual({ reading: 2, waiting: 1 });
    // Another caller is not behind them.
    expect(await post(port, B)).toEqual({ status: 200, text: '{"ok":true}' });

    // One unfinished request's connection closes: its turn passes to the waiting request.
    sockets[0]!.destroy();
    expect(await third).toEqual({ status: 200, text: '{"ok":true}' });
    sockets[1]!.destroy();
    await until(() => fairShare.state(A).reading === 0, "A's turns to come back");
    expect(fairShare.state(A)).toEqual({ reading: 0, waiting: 0 });
  });

  it("a request that leaves while waiting leaves the line", async () => {
    let arrivedFromA = 0;
    const { port, fairShare } = await serve(1, (app) => app.post("/work", async () => ({ ok: true })), { onArrival: (ip) => { if (ip === A) arrivedFromA += 1; } });
    const holder = await unfinishedRequest(port, A);
    await until(() => arrivedFromA === 1, "the unfinished request to arrive");
    const waiter = await unfinishedRequest(port, A);
    await until(() => fairShare.state(A).waiting === 1, "the second request to wait");
    waiter.destroy();
    await until(() => fairShare.state(A).waiting === 0, "the closed request to leave the line");
    expect(fairShare.state(A)).toEqual({ reading: 1, waiting: 0 });
    holder.destroy();
    await until(() => fairShare.state(A).reading === 0, "the turn to come back");
    expect(await post(port, A)).toEqual({ status: 200, text: '{"ok":true}' });
  });

  it("a request waiting on I/O after its body was read holds no turn", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let handling = 0;
    const { port, fairShare } = await serve(1, (app) => {
      app.post("/work", async () => {
        handling += 1;
        await released; // AWS taking its time
        return { ok: true };
      });
    });
    const answers = [post(port, A), post(port, A), post(port, A)];
    // All three reach the handler although one turn is allowed: each gave its turn back once read.
    await until(() => handling === 3, "all three requests to reach the handler");
    expect(fairShare.state(A)).toEqual({ reading: 0, waiting: 0 });
    release();
    expect((await Promise.all(answers)).map((answer) => answer.status)).toEqual([200, 200, 200]);
  });

  it("a request refused before its body is read (413) gives its turn back", async () => {
    const { port, fairShare } = await serve(1, (app) => app.post("/work", async () => ({ ok: true })), { bodyLimit: 100 });
    const refused = await post(port, A, JSON.stringify({ pad: "x".repeat(500) }));
    expect(refused.status).toBe(413);
    await until(() => fairShare.state(A).reading === 0, "the turn to come back");
    expect(await post(port, A)).toEqual({ status: 200, text: '{"ok":true}' });
  });

  it("refuses a maxReading that is not a positive integer", () => {
    for (const maxReading of [0, -1, 1.5, Number.NaN]) {
      expect(() => registerCallerFairShare(Fastify(), { maxReading, applies: () => true })).toThrow(`registerCallerFairShare: maxReading must be a positive integer (got ${maxReading})`);
    }
  });
});

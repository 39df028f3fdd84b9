import { Agent, request } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { callerNetworks } from "../../../src/server/caller-networks.js";
import { callerTurnBounds, createCallerTurns, registerCallerTurns, type CallerTurns, type TurnTask } from "../../../src/server/caller-turns.js";
import { registerTransportErrorHandler } from "../../../src/server/transport-errors.js";

/**
 * MAX_PARSING_PER_CALLER (caller-turns.ts): the scheduler turn by turn of the event loop, then on a
 * real fastify server and real sockets: one caller's burst is parsed a few bodies per turn and
 * another caller is answered in between, a slow upload or a wait on I/O holds no turn, and a caller
 * with too many bodies waiting is refused 429.
 */

/** One turn of the event loop: resolves at the next check phase. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function task(log: string[], name: string, options: { gone?: () => boolean; throws?: boolean; size?: number } = {}): TurnTask {
  return {
    size: options.size ?? 10,
    work: () => {
      log.push(name);
      if (options.throws === true) throw new Error(`${name} failed`);
    },
    fail: (error) => log.push(`fail ${(error as Error).message}`),
    gone: options.gone ?? (() => false),
  };
}

describe("createCallerTurns", () => {
  it("runs maxParsing tasks of a caller at once, queues the rest, and runs them maxParsing per turn, oldest first, after the loop polled again", async () => {
    const turns = createCallerTurns({ maxParsing: 2, maxWaiting: 10, maxWaitingSize: 1000 });
    const log: string[] = [];
    expect(["a1", "a2", "a3", "a4", "a5"].map((name) => turns.run("A", task(log, name)))).toEqual(["ran", "ran", "queued", "queued", "queued"]);
    expect(turns.run("B", task(log, "b1"))).toBe("ran"); // another caller has turns of its own
    expect(log).toEqual(["a1", "a2", "b1"]);
    expect(turns.state("A")).toEqual({ parsing: 2, waiting: 3, waitingSize: 30 });

    await nextTurn(); // check phase: the turns come back, handed to the waiting tasks for the next one
    expect(log).toEqual(["a1", "a2", "b1"]);
    await nextTurn();
    expect(log).toEqual(["a1", "a2", "b1", "a3", "a4"]);
    await nextTurn();
    await nextTurn();
    expect(log).toEqual(["a1", "a2", "b1", "a3", "a4", "a5"]);
    await nextTurn();
    expect(turns.state("A")).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
    expect(turns.state("B")).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
  });

  it("refuses a task once maxWaiting of its caller's wait, and takes them again once the line is shorter", async () => {
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 2, maxWaitingSize: 1000 });
    const log: string[] = [];
    expect(["a1", "a2", "a3", "a4"].map((name) => turns.run("A", task(log, name)))).toEqual(["ran", "queued", "queued", "refused"]);
    await nextTurn();
    await nextTurn();
    expect(turns.run("A", task(log, "a5"))).toBe("queued");
    while (turns.state("A").parsing > 0) await nextTurn();
    expect(log).toEqual(["a1", "a2", "a3", "a5"]);
  });

  it("refuses a task whose body would take its caller's waiting bodies past maxWaitingSize", async () => {
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 100, maxWaitingSize: 1000 });
    const log: string[] = [];
    expect([
      turns.run("A", task(log, "a1", { size: 900 })), // parsed at once: not counted
      turns.run("A", task(log, "a2", { size: 600 })),
      turns.run("A", task(log, "a3", { size: 400 })),
      turns.run("A", task(log, "a4", { size: 1 })),
      turns.run("B", task(log, "b1", { size: 1000 })),
    ]).toEqual(["ran", "queued", "queued", "refused", "ran"]);
    expect(turns.state("A")).toEqual({ parsing: 1, waiting: 2, waitingSize: 1000 });
    while (turns.state("A").parsing > 0) await nextTurn();
    expect(log).toEqual(["a1", "b1", "a2", "a3"]);
  });

  it("answers a waiting task whose request is gone without running it, and gives its turn to the next", async () => {
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 10, maxWaitingSize: 1000 });
    const log: string[] = [];
    let secondGone = false;
    turns.run("A", task(log, "a1"));
    turns.run("A", task(log, "a2", { gone: () => secondGone }));
    turns.run("A", task(log, "a3"));
    secondGone = true;
    await nextTurn();
    await nextTurn();
    expect(log).toEqual(["a1", "fail The connection closed while the request waited for its turn.", "a3"]);
    while (turns.state("A").parsing > 0) await nextTurn();
    expect(turns.state("A")).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
  });

  it("gives the turn back when a task throws, now (to its caller) or after waiting (to fail)", async () => {
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 10, maxWaitingSize: 1000 });
    const log: string[] = [];
    expect(() => turns.run("A", task(log, "a1", { throws: true }))).toThrow("a1 failed");
    expect(turns.run("A", task(log, "a2", { throws: true }))).toBe("queued");
    turns.run("A", task(log, "a3"));
    while (turns.state("A").parsing > 0) await nextTurn();
    expect(log).toEqual(["a1", "a2", "fail a2 failed", "a3"]);
  });

  it("with turnBudgetMs, a turn ends once its bodies have run that long: a costly body takes the turn alone, cheap ones still share it maxParsing at a time", async () => {
    // A clock each task moves on by its cost, as a valid introspection document holds the loop ~10 ms (execution
    // and its 162 KB answer's serialization run before its first wait, in its turn).
    let clock = 0;
    const costing = (log: string[], name: string, costMs: number): TurnTask => ({ ...task(log, name), work: () => { log.push(name); clock += costMs; } });
    const turns = createCallerTurns({ maxParsing: 4, maxWaiting: 100, maxWaitingSize: 1e6, turnBudgetMs: 5, now: () => clock });
    const log: string[] = [];
    // Six costly bodies arrive in one poll: the first runs; three more keep the caller's turns without starting
    // ("ran": they were never in its line), two wait in line.
    expect(["a1", "a2", "a3", "a4", "a5", "a6"].map((name) => turns.run("A", costing(log, name, 10)))).toEqual(["ran", "ran", "ran", "ran", "queued", "queued"]);
    expect(turns.run("B", costing(log, "b1", 10))).toBe("ran"); // another caller's turn has a budget of its own
    expect(log).toEqual(["a1", "b1"]);
    expect(turns.state("A")).toEqual({ parsing: 4, waiting: 2, waitingSize: 20 });
    // Then never two of A's costly bodies between two polls (check phases), oldest first.
    const perTurn: string[][] = [];
    while (turns.state("A").parsing > 0) {
      const before = log.length;
      await nextTurn();
      perTurn.push(log.slice(before));
    }
    expect(log).toEqual(["a1", "b1", "a2", "a3", "a4", "a5", "a6"]);
    expect(Math.max(...perTurn.map((started) => started.length))).toBe(1);
    expect(turns.state("A")).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
    expect(turns.tracked()).toEqual({ callers: 0, networks: 0, waitingForNetworkTurns: 0 });

    // Cheap bodies (1 ms each): maxParsing of them per turn, as without a budget.
    const cheap: string[] = [];
    expect(["c1", "c2", "c3", "c4", "c5"].map((name) => turns.run("C", costing(cheap, name, 1)))).toEqual(["ran", "ran", "ran", "ran", "queued"]);
    expect(cheap).toEqual(["c1", "c2", "c3", "c4"]);
    while (turns.state("C").parsing > 0) await nextTurn();
    expect(cheap).toEqual(["c1", "c2", "c3", "c4", "c5"]);
  });

  it("with turnBudgetMs, a body kept back by the budget whose connection closes is answered without running, its turn passed on", async () => {
    let clock = 0;
    const turns = createCallerTurns({ maxParsing: 2, maxWaiting: 10, maxWaitingSize: 1000, turnBudgetMs: 5, now: () => clock });
    const log: string[] = [];
    let gone = false;
    turns.run("A", { ...task(log, "a1"), work: () => { log.push("a1"); clock += 10; } });
    expect(turns.run("A", task(log, "a2", { gone: () => gone }))).toBe("ran"); // kept back: the turn ran 10 ms
    turns.run("A", task(log, "a3"));
    gone = true;
    while (turns.state("A").parsing > 0) await nextTurn();
    expect(log).toEqual(["a1", "fail The connection closed while the request waited for its turn.", "a3"]);
    expect(turns.tracked()).toEqual({ callers: 0, networks: 0, waitingForNetworkTurns: 0 });
  });

  it("gives the gateway's turns a 5 ms budget (callerTurnBounds)", () => {
    expect(callerTurnBounds(4, 65_536)).toEqual({ maxParsing: 4, maxWaiting: 1024, maxWaitingSize: 4_194_304, turnBudgetMs: 5 });
  });

  it("refuses bounds that are not positive integers", () => {
    for (const value of [0, -1, 1.5, Number.NaN]) {
      expect(() => createCallerTurns({ maxParsing: value, maxWaiting: 1, maxWaitingSize: 1 })).toThrow(`createCallerTurns: maxParsing must be a positive integer (got ${value})`);
      expect(() => createCallerTurns({ maxParsing: 1, maxWaiting: value, maxWaitingSize: 1 })).toThrow(`createCallerTurns: maxWaiting must be a positive integer (got ${value})`);
      expect(() => createCallerTurns({ maxParsing: 1, maxWaiting: 1, maxWaitingSize: value })).toThrow(`createCallerTurns: maxWaitingSize must be a positive integer (got ${value})`);
    }
  });
});

const A = "127.0.0.2";
const B = "127.0.0.3";
const WORK = "POST /work HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

let app: FastifyInstance | undefined;
const agents: Agent[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const agent of agents.splice(0)) agent.destroy();
  await app?.close();
  app = undefined;
});

async function serve(limits: { maxParsing: number; maxWaiting?: number; bodyLimit?: number; turnBudgetMs?: number }, routes: (app: FastifyInstance) => void, onArrival?: (ip: string, url: string) => void): Promise<{ turns: CallerTurns; port: number }> {
  app = Fastify({ bodyLimit: limits.bodyLimit ?? 1_048_576 });
  registerTransportErrorHandler(app, { maxBodyBytes: limits.bodyLimit ?? 1_048_576, metrics: undefined });
  app.addHook("onRequest", async (req) => onArrival?.(req.ip, req.url));
  const turns = registerCallerTurns(app, {
    maxParsing: limits.maxParsing, maxWaiting: limits.maxWaiting ?? 16, maxWaitingSize: 1_000_000, turnBudgetMs: limits.turnBudgetMs,
    // As the gateway picks GET /graphql: here GET /work, never GET /warm.
    getTakesTurn: (request) => request.routeOptions.url === "/work",
  });
  routes(app);
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { turns, port: (app.server.address() as AddressInfo).port };
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

/** An open connection from `from` that writes raw requests and collects what comes back until it closes. */
async function rawConnection(port: number, from: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect({ host: "127.0.0.1", port, localAddress: from });
  sockets.push(socket);
  let received = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise((resolve) => socket.once("connect", resolve));
  return { socket, received: () => received, closed };
}

/** An open keep-alive connection from `from`, answered once (GET /warm), that sends a raw request and reads its answer. */
async function openConnection(port: number, from: string): Promise<{ send(raw: string): Promise<string> }> {
  const { socket, received } = await rawConnection(port, from);
  let seen = 0;
  const send = (raw: string) => new Promise<string>((resolve) => {
    const check = () => {
      const text = received().slice(seen);
      const headersEnd = text.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
      if (headersEnd < 0 || text.length < headersEnd + 4 + length) return;
      socket.removeListener("data", check);
      seen += headersEnd + 4 + length;
      resolve(text.slice(0, headersEnd + 4 + length));
    };
    socket.on("data", check);
    socket.write(raw);
  });
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

describe("createCallerTurns: an IPv6 network's turns (IPV6_NETWORK_CALLERS)", () => {
  const networks = callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 2 });
  /** The /56 callers 2001:db8:1:<n>00::/56 of one /48. */
  const site = (n: number) => `2001:db8:1:${n}00::/56`;

  it("gives a lone IPv6 caller its own maxParsing turns, as an IPv4 caller, not its network's", () => {
    const turns = createCallerTurns({ maxParsing: 2, maxWaiting: 10, maxWaitingSize: 1000, networks });
    const log: string[] = [];
    expect([1, 2, 3].map((n) => turns.run(site(1), task(log, `a${n}`)))).toEqual(["ran", "ran", "queued"]);
    expect([1, 2, 3].map((n) => turns.run("203.0.113.7", task(log, `v4-${n}`)))).toEqual(["ran", "ran", "queued"]);
  });

  it("gives the callers of one /48 IPV6_NETWORK_CALLERS times a caller's turns together; another /48 and an IPv4 caller their own", async () => {
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 2, maxWaitingSize: 1000, networks });
    const log: string[] = [];
    expect([1, 2, 3, 4].map((n) => turns.run(site(n), task(log, `s${n}`)))).toEqual(["ran", "ran", "queued", "queued"]);
    expect([turns.run("2001:db8:2:100::/56", task(log, "other")), turns.run("203.0.113.7", task(log, "v4"))]).toEqual(["ran", "ran"]);
    expect(turns.networkState(site(9))).toEqual({ parsing: 2, waiting: 2, waitingSize: 20 });
    expect(turns.networkState("203.0.113.7")).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
    while (turns.networkState(site(1)).parsing > 0) await nextTurn();
    expect(log).toEqual(["s1", "s2", "other", "v4", "s3", "s4"]);
    expect([turns.state(site(1)), turns.networkState(site(1))]).toEqual([{ parsing: 0, waiting: 0, waitingSize: 0 }, { parsing: 0, waiting: 0, waitingSize: 0 }]);
  });

  it("hands a network turn round its callers: a neighbour's body is not kept behind one caller's long line", async () => {
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 10, maxWaitingSize: 1000, networks });
    const log: string[] = [];
    for (const n of [1, 2, 3, 4, 5, 6]) turns.run(site(1), task(log, `a${n}`));
    for (const n of [1, 2, 3, 4, 5, 6]) turns.run(site(2), task(log, `b${n}`));
    expect(turns.run(site(3), task(log, "c1"))).toBe("queued");
    while (turns.networkState(site(1)).parsing > 0) await nextTurn();
    // c waits for a network turn behind no more than one of a's and b's bodies each.
    expect(log.indexOf("c1")).toBeLessThanOrEqual(4);
    expect(log.filter((name) => name.startsWith("a"))).toEqual(["a1", "a2", "a3", "a4", "a5", "a6"]);
    expect(log).toHaveLength(13);
  });

  it("keeps a caller's own waiting bounds inside its network's: one caller cannot fill its network's line", () => {
    const turns = createCallerTurns({ maxParsing: 1, maxWaiting: 3, maxWaitingSize: 1000, networks });
    const log: string[] = [];
    const loud = Array.from({ length: 10 }, (_, n) => turns.run(site(1), task(log, `a${n}`)));
    expect(loud).toEqual(["ran", "queued", "queued", "queued", ...Array(6).fill("refused")]);
    // The network has room for 2 × 3 waiting: its other callers still queue (and run in their turn).
    expect([turns.run(site(2), task(log, "b1")), turns.run(site(3), task(log, "c1")), turns.run(site(4), task(log, "d1"))]).toEqual(["ran", "queued", "queued"]);
    expect([turns.run(site(5), task(log, "e1")), turns.run(site(6), task(log, "f1"))]).toEqual(["queued", "refused"]);
  });

  it("takes IPV6_NETWORK_CALLERS with bounds whose product passes 2^53 (MAX_BODY_BYTES and MAX_PARSING_PER_CALLER at their highest)", () => {
    const wide = callerNetworks({ callerPrefixLength: 56, networkPrefixLength: 48, callers: 100_000 });
    expect(() => createCallerTurns({ ...callerTurnBounds(100_000, 10_485_760), networks: wide })).not.toThrow();
  });
});

describe("registerCallerTurns on fastify", () => {
  // A GET carries its work in the query string; GET /warm is not picked (getTakesTurn) and takes no turn.
  const GET_WORK = "GET /work?query=x HTTP/1.1\r\nhost: x\r\n\r\n";
  it.each([
    { kind: "bodies", method: "POST" as const, raw: WORK },
    { kind: "GET requests", method: "GET" as const, raw: GET_WORK },
  ])("answers another caller while one caller's burst of costly $kind is worked on one per turn", async ({ method, raw }) => {
    const order: string[] = [];
    let arrivedFromA = 0;
    let sendB: () => void = () => undefined;
    const { port, turns } = await serve({ maxParsing: 1 }, (app) => {
      app.get("/warm", async () => ({ ok: true }));
      app.route({
        method, url: "/work", handler: async (req) => {
          // Each of A's requests holds the event loop 15 ms, as a 64 KB body of thousands of keys does on a slow host.
          if (req.ip === A) busyFor(15);
          order.push(req.ip === A ? "A" : "B");
          return { ok: true };
        },
      });
    }, (ip, url) => { if (ip === A && url.startsWith("/work") && ++arrivedFromA === 10) sendB(); });

    // Connections open and answered once first: node accepts one new connection per turn of the
    // event loop, so a burst on new connections would arrive in turns anyway. On open ones, all
    // ten requests are read in the same poll.
    const connectionsOfA = await Promise.all(Array.from({ length: 10 }, () => openConnection(port, A)));
    const connectionOfB = await openConnection(port, B);
    const answeredB = new Promise<string>((resolve) => {
      sendB = () => void connectionOfB.send(raw).then(resolve);
    });
    const answers = await Promise.all([...connectionsOfA.map((connection) => connection.send(raw)), answeredB]);

    expect(answers.every((answer) => answer.startsWith("HTTP/1.1 200"))).toBe(true);
    // B's request came once all ten of A's had arrived; it was answered long before A's tenth.
    expect(order.filter((caller) => caller === "A")).toHaveLength(10);
    expect(order.indexOf("B")).toBeLessThan(5);
    await until(() => turns.state(A).parsing === 0, "A's turns to come back");
    expect(turns.state(A)).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
  });

  it("with the gateway's turns (4, and a 5 ms budget), a burst of costly bodies is worked on one per turn: another caller is answered after the first", async () => {
    const order: string[] = [];
    let arrivedFromA = 0;
    let sendB: () => void = () => undefined;
    const { port, turns } = await serve({ maxParsing: 4, turnBudgetMs: 5 }, (app) => {
      app.get("/warm", async () => ({ ok: true }));
      app.post("/work", async (req) => {
        // Each of A's requests holds the loop 15 ms before its answer, as a valid introspection document's execution
        // and serialization do (~10 ms; the turn covers them): four per turn held it 40 ms and more.
        if (req.ip === A) busyFor(15);
        order.push(req.ip === A ? "A" : "B");
        return { ok: true };
      });
    }, (ip, url) => { if (ip === A && url === "/work" && ++arrivedFromA === 10) sendB(); });
    const connectionsOfA = await Promise.all(Array.from({ length: 10 }, () => openConnection(port, A)));
    const connectionOfB = await openConnection(port, B);
    const answeredB = new Promise<string>((resolve) => {
      sendB = () => void connectionOfB.send(WORK).then(resolve);
    });
    const answers = await Promise.all([...connectionsOfA.map((connection) => connection.send(WORK)), answeredB]);
    expect(answers.every((answer) => answer.startsWith("HTTP/1.1 200"))).toBe(true);
    expect(order.filter((caller) => caller === "A")).toHaveLength(10);
    // B's request came once all ten of A's had arrived (read in one poll): without the budget, A's first four ran
    // before the loop read it.
    expect(order.indexOf("B")).toBeLessThan(3);
    await until(() => turns.state(A).parsing === 0, "A's turns to come back");
    expect(turns.state(A)).toEqual({ parsing: 0, waiting: 0, waitingSize: 0 });
  });

  it("refuses a GET 429 RATE_LIMITED once maxWaiting of its caller's wait", async () => {
    const { port } = await serve({ maxParsing: 1, maxWaiting: 2 }, (app) => app.get("/work", async () => ({ ok: true })));
    const connection = await rawConnection(port, A);
    connection.socket.write("GET /work HTTP/1.1\r\nhost: x\r\n\r\n".repeat(6));
    await until(() => [...connection.received().matchAll(/HTTP\/1.1 (\d{3}) /g)].length >= 4, "four answers");
    const statuses = [...connection.received().matchAll(/HTTP\/1.1 (\d{3}) /g)].map((match) => match[1]);
    expect(statuses.slice(0, 4)).toEqual(["200", "200", "200", "429"]);
    expect(connection.received()).toContain('"code":"RATE_LIMITED"');
  });

  it("refuses a body 429 RATE_LIMITED once maxWaiting of its caller's wait (pipelined requests write nothing while they wait)", async () => {
    const { port } = await serve({ maxParsing: 1, maxWaiting: 2 }, (app) => app.post("/work", async () => ({ ok: true })));
    const connection = await rawConnection(port, A);
    // Six requests in one write: all read in one poll; one parsed, two wait, the fourth refused
    // (its answer closes the connection, as fastify does after a refused body).
    connection.socket.write(WORK.repeat(6));
    await connection.closed;
    const statuses = [...connection.received().matchAll(/HTTP\/1.1 (\d{3}) /g)].map((match) => match[1]);
    expect(statuses).toEqual(["200", "200", "200", "429"]);
    const refusal = connection.received().slice(connection.received().lastIndexOf("HTTP/1.1 429"));
    expect(refusal).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(JSON.parse(refusal.slice(refusal.indexOf("\r\n\r\n") + 4))).toEqual({
      errors: [{ message: "Too many of this caller's requests are waiting to be read; retry after a second.", extensions: { code: "RATE_LIMITED", retryable: true, retryAfterSeconds: 1 } }],
    });
  });

  it("a slow upload holds no turn: the caller's next request is answered while its body is still coming", async () => {
    let arrivedFromA = 0;
    const { port } = await serve({ maxParsing: 1 }, (app) => app.post("/work", async () => ({ ok: true })), (ip) => { if (ip === A) arrivedFromA += 1; });
    const slow = await rawConnection(port, A);
    slow.socket.write("POST /work HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{");
    await until(() => arrivedFromA === 1, "the slow upload to arrive");
    expect(await post(port, A)).toEqual({ status: 200, text: '{"ok":true}' });
  });

  it("a request waiting on I/O holds no turn", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let handling = 0;
    const { port, turns } = await serve({ maxParsing: 1 }, (app) => {
      app.post("/work", async () => {
        handling += 1;
        await released; // AWS taking its time
        return { ok: true };
      });
    });
    const answers = [post(port, A), post(port, A), post(port, A)];
    await until(() => handling === 3, "all three requests to reach the handler");
    await until(() => turns.state(A).parsing === 0, "the turns to come back");
    release();
    expect((await Promise.all(answers)).map((answer) => answer.status)).toEqual([200, 200, 200]);
  });

  it("keeps fastify's JSON parser: 413 over the body limit, prototype poisoning and bad JSON refused 400", async () => {
    const { port } = await serve({ maxParsing: 1, bodyLimit: 100 }, (app) => app.post("/work", async (req) => ({ body: req.body })));
    expect((await post(port, A, JSON.stringify({ pad: "x".repeat(500) }))).status).toBe(413);
    expect((await post(port, A, '{"__proto__":{"admin":true}}')).status).toBe(400);
    expect((await post(port, A, '{"constructor":{"prototype":{"admin":true}}}')).status).toBe(400);
    expect((await post(port, A, "{not json")).status).toBe(400);
    expect(await post(port, A, '{"a":[1,2]}')).toEqual({ status: 200, text: '{"body":{"a":[1,2]}}' });
  });
});

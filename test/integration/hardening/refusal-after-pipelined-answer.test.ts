import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * A refused request (chunked body: 411; HTTP/1.1 without Host: 400) pipelined behind an ordinary one closed the
 * connection at once (lingerThenClose's socket.end() on the parser's stop), before the ordinary request's answer
 * (fastify answers after a tick) and the refusal queued behind it were written: the client got neither, 5 of 5,
 * though the first request was executed. The answers owed before the refusal, and the refusal, are sent first.
 */
let gateway: GatewayProcess;
let port: number;
beforeAll(async () => {
  gateway = await startGateway({ env: { HOST: "127.0.0.1" } });
  port = Number(new URL(gateway.url).port);
}, 60_000);
afterAll(async () => { await gateway?.stop(); });

function statuses(raw: string): Promise<string[]> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => socket.write(raw));
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString("latin1")));
    const done = () => resolve([...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => match[1]!));
    socket.on("close", done);
    socket.on("error", done);
    setTimeout(() => socket.destroy(), 5_000).unref();
  });
}

const ordinary = "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
const chunked = "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n";
const hostless = "GET /healthz HTTP/1.1\r\n\r\n";

describe("a refusal pipelined behind an ordinary request", () => {
  it("chunked body: the ordinary request's 200, then the 411", async () => {
    for (let i = 0; i < 5; i++) expect(await statuses(ordinary + chunked)).toEqual(["200", "411"]);
  }, 30_000);

  it("HTTP/1.1 without Host: the ordinary request's 200, then the 400", async () => {
    for (let i = 0; i < 5; i++) expect(await statuses(ordinary + hostless)).toEqual(["200", "400"]);
  }, 30_000);

  it("pipelining past the bound (8): the 8 requests within it are answered before the connection closes", async () => {
    expect(await statuses(ordinary.repeat(9))).toEqual(Array(8).fill("200"));
  }, 30_000);
});

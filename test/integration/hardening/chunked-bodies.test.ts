import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { chunked } from "./pipelined-wire.js";

/**
 * A request body sent with Transfer-Encoding: chunked in one-byte chunks (6 bytes on the wire per byte
 * of body) costs Node's HTTP parser one JS callback and one Buffer per chunk, before any fastify hook,
 * limit or caller turn sees it, and whether or not the request is then refused: an attacker review
 * measured ~70–90 ms of the gateway's CPU per 60 KB body (~60,000 chunks), within the per-caller rate
 * limit on /graphql, and with no limit at all on a path no route serves (answered 404 before its body
 * is read, but the parser still parses every chunk). On a real gateway process with its embedded
 * emulator. Refused 411 now, before one chunk is parsed.
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

describe("request bodies in tiny chunks", () => {
  // Counts, not times (timing targets live in `npm run bench`): the refusal comes before one chunk is parsed, so nothing
  // after the first request's headers on its connection is parsed or answered (before: every request answered, 200 or 404).
  it("POST /graphql: 10 bodies of 60 KB in 1-byte chunks pipelined on one connection: one answer, 411; none of the rest parsed", async () => {
    expect(await pipelined("127.0.0.2", "/graphql", 10)).toEqual(["HTTP/1.1 411"]);
  }, 60_000);

  it("POST to a path no route serves (no rate limit there): the same, one answer, 411", async () => {
    expect(await pipelined("127.0.0.4", "/nope", 10)).toEqual(["HTTP/1.1 411"]);
  }, 60_000);

  it("a chunked body is answered 411 BAD_REQUEST (GraphQL-shaped, as every transport refusal), and the same operation with a Content-Length runs", async () => {
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
    expect(JSON.parse(chunkedAnswer.body).errors[0].extensions.code).toBe("BAD_REQUEST");
    const framed = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    expect([framed.status, await framed.json()]).toEqual([200, { data: { __typename: "Query" } }]);
  });
});
